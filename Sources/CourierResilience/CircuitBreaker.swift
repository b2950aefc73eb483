import Courier
import CourierCore

/// Circuit breakers, one per key (per origin by default), as middleware: while a destination keeps failing,
/// requests to it fail fast with `circuitOpen` instead of adding load and waiting for timeouts; after a
/// while a few probes test whether it recovered. Place it inside the retry middleware so each attempt
/// counts. See `CircuitBreakerMachine` for the states and `CircuitBreakerPolicy` for the rules.
///
/// The state of each key sits behind its own lock, taken twice per request (permission, outcome); a
/// request that finds the breaker closed pays nothing else.
public final class CircuitBreaker: HTTPClientMiddleware, Sendable {
    /// When the breaker opens and how it recovers.
    public let policy: CircuitBreakerPolicy
    /// What counts as a failure.
    public let failures: CircuitBreakerFailures
    /// How requests share breakers.
    public let partition: PartitionKey
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let store: KeyedStore<CircuitBreakerMachine>
    private let failureStatuses: StatusSet
    private let slowCallsCount: Bool

    /// Breakers with `policy` per `partition` key, judging outcomes by `failures`.
    public init(policy: CircuitBreakerPolicy = CircuitBreakerPolicy(), failures: CircuitBreakerFailures = CircuitBreakerFailures(),
                partition: PartitionKey = .origin, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        self.policy = policy
        self.failures = failures
        self.partition = partition
        self.clock = clock
        self.telemetry = telemetry
        store = KeyedStore { now in CircuitBreakerMachine(policy: policy, now: now) }
        failureStatuses = StatusSet(failures.statuses)
        slowCallsCount = policy.slowCallRateThreshold != nil
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let key = partition.key(for: request)
        let ticket = try admit(request, key: key, at: clock.now())
        let outcome: Result<HTTPClientResponse, HTTPClientError>
        do {
            outcome = .success(try await next(request))
        } catch {
            outcome = .failure(error)
        }
        record(outcome, statusCode: outcome.statusCode, of: ticket, key: key, request: request)
        return try outcome.get()
    }

    // MARK: - Steps (shared with `ResiliencePipeline`)

    /// A call the breaker let through, to report back.
    struct Ticket {
        let cell: KeyedCell<CircuitBreakerMachine>
        let permit: CircuitBreakerMachine.Permit
        let start: Timestamp
    }

    /// Asks `key`'s breaker to let `request` through at `now`; throws `circuitOpen` if it does not.
    func admit(_ request: HTTPClientRequest, key: ResilienceKey, at now: Timestamp) throws(HTTPClientError) -> Ticket {
        let cell = store.cell(for: key, now: now)
        let (decision, transition) = cell.withLock { $0.requestPermission(at: now) }
        if let transition { report(transition, key: key, request: request.head, time: now) }
        switch decision {
        case .permitted(let permit):
            return Ticket(cell: cell, permit: permit, start: now)
        case .rejected(let until):
            telemetry.record(.circuitRejected, key: key, request: request.head, time: now)
            let retryAfter = until.map { $0.elapsed(since: now) }
            throw HTTPClientError(.circuitOpen, "the circuit breaker for \(key) is open"
                                  + (retryAfter.map { " for another \($0)" } ?? " (probing)"),
                                  underlying: CircuitOpen(key: key, retryAfter: retryAfter), isSafeToRetry: true)
        }
    }

    /// Reports how the call of `ticket` ended (`statusCode`: the response's status, read once by the caller).
    func record(_ outcome: Result<HTTPClientResponse, HTTPClientError>, statusCode: Int, of ticket: Ticket,
                key: ResilienceKey, request: HTTPClientRequest) {
        // The window only moves forward, so the start time files the outcome in the current slot; the end
        // time matters only to the slow-call rule.
        let end = slowCallsCount ? clock.now() : ticket.start
        let verdict: CircuitBreakerMachine.Outcome
        switch outcome {
        case .success where failures.classify == nil:
            verdict = failureStatuses.contains(statusCode) ? .failure : .success
        case .success(let response): verdict = failures.classify(.response(response.head))
        case .failure(let error): verdict = failures.classify(.error(error))
        }
        let duration = end.elapsed(since: ticket.start)
        let change = ticket.cell.withLock { $0.record(verdict, duration: duration, permit: ticket.permit, at: end) }
        if let change { report(change, key: key, request: request.head, time: end) }
    }

    /// The state of `key`'s breaker (closed if it has none yet).
    public func state(for key: ResilienceKey) -> CircuitBreakerMachine.State {
        store.existingCell(for: key)?.withLock { $0.state } ?? .closed
    }

    /// Opens `key`'s breaker for `duration` (an operator's kill switch), or closes it (`nil`).
    public func force(_ key: ResilienceKey, open duration: Duration?) {
        let now = clock.now()
        let change = store.cell(for: key, now: now).withLock { $0.force(open: duration, at: now) }
        if let change { report(change, key: key, request: nil, time: now) }
    }

    private func report(_ transition: CircuitBreakerMachine.Transition, key: ResilienceKey, request: HTTPRequest?, time: Timestamp) {
        telemetry.record(.circuitStateChanged(from: transition.from, to: transition.to), key: key, request: request, time: time)
    }
}

/// What a circuit breaker counts as a failure of its destination. By default: 500, 502, 503 and 504
/// responses, timeouts, and failures to connect or keep a connection; cancellations, client-side limits and
/// other statuses say nothing about the destination's health (429 included: it is rate limiting, which the
/// rate limiter handles).
public struct CircuitBreakerFailures: Sendable {
    /// Statuses that count as failures.
    public var statuses: Set<Int>
    /// Whether timeouts (connect, TLS handshake, read, write, deadlines) count.
    public var timeouts: Bool
    /// Whether connection errors (refused, resolution, TLS, resets, early closes, protocol violations) count.
    public var connectionErrors: Bool
    /// A judgement that overrides the above when it returns non-nil.
    public var classify: (@Sendable (AttemptOutcome) -> CircuitBreakerMachine.Outcome?)?

    /// The defaults, or your own rules.
    public init(statuses: Set<Int> = [500, 502, 503, 504], timeouts: Bool = true, connectionErrors: Bool = true,
                classify: (@Sendable (AttemptOutcome) -> CircuitBreakerMachine.Outcome?)? = nil) {
        self.statuses = statuses
        self.timeouts = timeouts
        self.connectionErrors = connectionErrors
        self.classify = classify
    }

    /// The verdict on one outcome.
    public func classify(_ outcome: AttemptOutcome) -> CircuitBreakerMachine.Outcome {
        if let classify, let verdict = classify(outcome) { return verdict }
        switch outcome {
        case .response(let head):
            return statuses.contains(head.status.code) ? .failure : .success
        case .error(let error):
            if error.isTimeout { return timeouts ? .failure : .ignored }
            switch error.code {
            case .connectFailed, .resolutionFailed, .tlsFailed, .connectionClosed, .streamReset, .protocolViolation:
                return connectionErrors ? .failure : .ignored
            default:
                return .ignored
            }
        }
    }
}

/// The `underlying` of a `circuitOpen` error: whose breaker, and how long it stays open (nil while probing).
public struct CircuitOpen: Error, Sendable, CustomStringConvertible {
    /// The breaker's key.
    public let key: ResilienceKey
    /// Time until the breaker lets a probe through (nil: half-open, probes in flight).
    public let retryAfter: Duration?

    public var description: String { "circuit open for \(key)" + (retryAfter.map { ", retry after \($0)" } ?? "") }
}
