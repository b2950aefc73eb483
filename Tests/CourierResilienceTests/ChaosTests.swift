import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestServer
import CourierTestSupport
import Synchronization

/// The standard pipeline through the real client against a server that fails a fifth of what it receives
/// (resets, bursts of 503, stalls before the head; slow drips besides): every request ends, successful or
/// with a typed error after its policy; no POST is processed twice; retries stay within the budget.
@Suite struct ChaosTests {
    static let requestCount = 10_000
    static let concurrency = 64

    @Test(arguments: [HTTPVersionPolicy.http1Only, .http2PriorKnowledge])
    func tenThousandRequestsAgainstAFlakyServer(version: HTTPVersionPolicy) async throws {
        let server = try await TestServer.start()
        let plan = ChaosPlan(seed: version == .http1Only ? 11 : 12)
        server.route("/chaos/:id") { request in
            let id = Int(request.parameters["id"] ?? "") ?? -1
            if request.method == .post { _ = try await request.body.collect(upTo: 1 << 16) }
            switch plan.arrival(id: id) {
            case .healthy: return .text("ok \(id)")
            case .overloaded: return .status(.serviceUnavailable)
            case .reset: return TestResponse.text("ok \(id)").withFaults(.reset(at: .beforeHead))
            case .stall: return TestResponse.text("ok \(id)").withFaults(.stall(at: .beforeHead))
            case .drip:
                return TestResponse(status: .ok, body: .string("ok \(id)" + String(repeating: ".", count: 2000)))
                    .withFaults(.drip(bytes: 500, every: .milliseconds(1)))
            }
        }

        let metrics = TestMetrics()
        let retriesScheduled = SharedCounter()
        let telemetry = ResilienceTelemetry(factory: metrics, observer: { event in
            if case .retryScheduled = event.kind { retriesScheduled.increment() }
        })
        var options = ResiliencePipeline.Options(random: .seeded(3), telemetry: telemetry)
        options.attemptTimeout = .seconds(1)
        options.totalTimeout = .seconds(10)
        options.retry = RetryPolicy(maximumAttempts: 3, backoff: .exponential(base: .milliseconds(2), cap: .milliseconds(20)))
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        configuration.pool.maximumConnectionsPerHost = Self.concurrency
        configuration.enableResilience(options)
        let client = HTTPClient(configuration: configuration)
        let budget = options.retryBudget!

        // One request first opens the connection (an HTTP/2 one is shared by all; the first answer of a debug
        // build also pays for lazy initialization), so the run starts warm rather than with 64 attempts
        // racing their timeouts against a connection setup.
        try await withTimeout(.seconds(120)) {
            while true {
                do {
                    _ = try await client.get(server.url("/status/204"))
                    return
                } catch {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let start = SystemClock.now()
        let outcomes = try await withTimeout(.seconds(300)) {
            try await Self.run(client: client, server: server)
        }
        let elapsed = SystemClock.now().elapsed(since: start)
        await client.shutdown()
        await server.shutdown()

        // Every request ended, once.
        #expect(outcomes.count == Self.requestCount)
        #expect(Set(outcomes.map(\.id)).count == Self.requestCount)
        let received = server.recorder.requestsPerPath
        let processed = plan.arrivalsByID
        var successes = 0, exhaustedResponses = 0, bodyFailures = 0, errors: [HTTPClientError.Code: Int] = [:]
        for outcome in outcomes {
            let path = "/chaos/\(outcome.id)"
            let processedCount = processed[outcome.id] ?? 0
            if outcome.kind == .postWithoutKey {
                // A POST without an Idempotency-Key is never processed twice.
                #expect(processedCount <= 1, "POST \(path) was processed \(processedCount) times")
            }
            switch outcome.result {
            case .success(let answer):
                let status = answer.status, body = answer.body
                if status == 200 {
                    successes += 1
                    #expect(body.hasPrefix("ok \(outcome.id)"), "\(path): \(body.prefix(40))")
                    #expect((received[path] ?? 0) >= 1 && processedCount >= 1)
                } else {
                    // Retries ended on a 503 (attempts or budget spent; or a POST, which is not retried).
                    #expect(status == 503)
                    exhaustedResponses += 1
                }
            case .failure(let error):
                errors[error.code, default: 0] += 1
                #expect(Self.expectedCodes.contains(error.code), "\(path): \(error)")
                if outcome.failedInBody {
                    // The head had arrived and the body was streaming (a slow drip when the connection died):
                    // never retried, whatever the method.
                    bodyFailures += 1
                } else if outcome.kind == .get, error.code != .circuitOpen {
                    // A GET that failed was retried until its policy stopped it.
                    let record = error.retriesExhausted
                    #expect(record != nil, "\(path) failed without its retries recorded: \(error)")
                    if let record {
                        #expect(record.attempts == 3 || [.budget, .deadline, .maximumElapsedTime].contains(record.reason),
                                "\(path): \(record)")
                    }
                }
            }
        }
        // The server saw no request the client did not send.
        #expect(processed.keys.allSatisfy { (0..<Self.requestCount).contains($0) })

        // Retries stayed within the budget: a fifth of the requests plus the floor of 10 a second.
        let retries = retriesScheduled.value
        let seconds = max(elapsed.secondsDouble, budget.window.secondsDouble)
        let allowance = budget.ratio * Double(Self.requestCount) + budget.minimumRetriesPerSecond * seconds
        #expect(Double(retries) <= allowance, "\(retries) retries, \(allowance) allowed")
        let countedRetries = metrics.counters("courier_resilience_retries_total").values.reduce(0, +)
        #expect(Int(countedRetries) == retries)
        // What reached the server: each request once, plus the retries, plus what the client itself repeats
        // after a reset on a reused HTTP/1.1 connection (at most twice per reset).
        let totalReceived = received.filter { $0.key.hasPrefix("/chaos/") }.values.reduce(0, +)
        #expect(totalReceived <= Self.requestCount + retries + 2 * plan.count(of: .reset))
        // The pipeline did its job: with a fifth of the attempts failing, the great majority of requests succeeded.
        #expect(successes >= Self.requestCount * 85 / 100,
                "\(successes) successes, \(exhaustedResponses) final 503s, errors \(errors) (\(bodyFailures) in bodies), \(retries) retries, faults \(plan.faultCounts)")
        #expect(plan.failureShare > 0.15)

    }

    static let expectedCodes: Set<HTTPClientError.Code> = [
        .deadlineExceeded, .connectionClosed, .streamReset, .circuitOpen, .readTimeout,
    ]

    enum RequestKind: Sendable { case get, postWithoutKey, postWithKey }

    struct Answer: Sendable {
        let status: Int
        let body: String
    }

    struct Outcome: Sendable {
        let id: Int
        let kind: RequestKind
        let result: Result<Answer, HTTPClientError>
        /// Whether the error came while reading the body (after the head).
        let failedInBody: Bool
    }

    /// Sends the requests from `concurrency` workers: GETs, POSTs, and POSTs carrying an Idempotency-Key.
    static func run(client: HTTPClient, server: TestServer) async throws -> [Outcome] {
        let nextID = SharedCounter()
        return try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var outcomes: [Outcome] = []
                    while true {
                        let id = nextID.increment()
                        guard id < requestCount else { return outcomes }
                        let kind: RequestKind = switch id % 10 {
                        case 0, 1, 2: .postWithoutKey
                        case 3: .postWithKey
                        default: .get
                        }
                        let (result, inBody) = await send(id, kind, client: client, server: server)
                        outcomes.append(Outcome(id: id, kind: kind, result: result, failedInBody: inBody))
                    }
                }
            }
            var all: [Outcome] = []
            for try await outcomes in group { all += outcomes }
            return all
        }
    }

    /// Sends request `id`; the error, if any, and whether it came while reading the body.
    static func send(_ id: Int, _ kind: RequestKind, client: HTTPClient, server: TestServer) async
        -> (Result<Answer, HTTPClientError>, inBody: Bool) {
        let response: HTTPClientResponse
        do throws(HTTPClientError) {
            var head = try HTTPClient.request(kind == .get ? .get : .post, server.url("/chaos/\(id)"))
            if kind == .postWithKey { head.headerFields[RetryPolicy.idempotencyKey] = "key-\(id)" }
            let body: HTTPClientRequestBody? = kind == .get ? nil : .string("payload \(id)")
            response = try await client.execute(HTTPClientRequest(head: head, body: body))
        } catch {
            return (.failure(error), false)
        }
        do throws(HTTPClientError) {
            let text = try await response.body.string(upTo: 1 << 16)
            return (.success(Answer(status: response.status.code, body: text)), false)
        } catch {
            return (.failure(error), true)
        }
    }
}

/// What the chaos server does with each request it receives, drawn from a seeded generator. Of the arrivals
/// that are not in a burst: 8% resets before the head, 1.5% stalls before the head (each costs an attempt
/// timeout of 1 s), 2.2% start a burst of six 503s, 5% slow drips (successful, slowly), the rest answered at
/// once. About a fifth of all arrivals fail.
final class ChaosPlan: Sendable {
    enum Fault: Sendable, Hashable { case healthy, overloaded, reset, stall, drip }

    private struct State {
        var random: UInt64
        var burstLeft = 0
        var arrivals: [Int: Int] = [:]
        var faults: [Fault: Int] = [:]
    }

    private let state: Locked<State>

    init(seed: UInt64) { state = Locked(State(random: seed)) }

    /// Decides the fate of an arrival of request `id`, counting it.
    func arrival(id: Int) -> Fault {
        state.withLock { state in
            state.arrivals[id, default: 0] += 1
            let fault: Fault
            if state.burstLeft > 0 {
                state.burstLeft -= 1
                fault = .overloaded
            } else {
                let roll = Self.next(&state.random) % 1000
                switch roll {
                case ..<80: fault = .reset
                case ..<95: fault = .stall
                case ..<117:
                    state.burstLeft = 5
                    fault = .overloaded
                case ..<167: fault = .drip
                default: fault = .healthy
                }
            }
            state.faults[fault, default: 0] += 1
            return fault
        }
    }

    /// How many times each request was received by the handler.
    var arrivalsByID: [Int: Int] { state.withLock { $0.arrivals } }
    /// How many arrivals got each fault.
    var faultCounts: [Fault: Int] { state.withLock { $0.faults } }
    func count(of fault: Fault) -> Int { state.withLock { $0.faults[fault] ?? 0 } }
    /// The share of arrivals that failed (reset, stall, 503).
    var failureShare: Double {
        state.withLock { state in
            let total = state.faults.values.reduce(0, +)
            let failed = (state.faults[.reset] ?? 0) + (state.faults[.stall] ?? 0) + (state.faults[.overloaded] ?? 0)
            return total == 0 ? 0 : Double(failed) / Double(total)
        }
    }

    private static func next(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A counter shared by tasks.
final class SharedCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Adds one; returns the value before.
    @discardableResult
    func increment() -> Int { count.add(1, ordering: .relaxed).oldValue }

    var value: Int { count.load(ordering: .relaxed) }
}
