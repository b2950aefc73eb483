// What the resilience layer costs a request that has nothing to wait for. The reference, measured in the
// same run, is the same request through the client with no middleware (a mock transport answering at once),
// so the difference is what the middleware adds: the standard pipeline (adaptive rate limiter, total
// deadline, retry with budget, circuit breaker, attempt timeout) and each piece alone; then the pure
// decision values (breaker, bucket, budget, backoff) per operation.
// Usage: BenchResilience [requests]
import Courier
import CourierCore
import CourierResilience
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
let requests = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
let only = arguments.count > 2 ? arguments[2] : nil

/// CPU time used by the process (all threads), in nanoseconds: on a shared machine, time spent descheduled
/// would otherwise swamp differences of a few hundred nanoseconds.
func cpuNanoseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
}

/// CPU nanoseconds per operation of `body`, best of ten rounds (the machine is shared; the minimum is the
/// signal).
func measure(_ count: Int, _ body: () async throws -> Void) async rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<10 {
        let start = cpuNanoseconds()
        for _ in 0..<count / 2 { try await body() }
        best = min(best, (cpuNanoseconds() - start) / Double(max(count / 2, 1)))
    }
    return best
}

func measureSync(_ count: Int, _ body: (Int) -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<10 {
        let start = cpuNanoseconds()
        for index in 0..<count { sink &+= body(index) }
        best = min(best, (cpuNanoseconds() - start) / Double(max(count, 1)))
    }
    if sink == 42 { print("") }
    return best
}

let okResponse = HTTPClientResponse(head: HTTPResponse(status: .ok))

func client(_ middleware: [any HTTPClientMiddleware]) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.middleware = middleware
    configuration.transport = .mock { _ in okResponse }
    return HTTPClient(configuration: configuration)
}

let request = HTTPClientRequest(head: try! HTTPClient.request(.get, "https://api.example/items"))

func perRequest(_ middleware: [any HTTPClientMiddleware]) async throws -> Double {
    let client = client(middleware)
    for _ in 0..<10_000 { _ = try await client.execute(request) }
    return try await measure(requests) { _ = try await client.execute(request) }
}

/// `value` with `decimals` digits after the point, right-aligned in `width` characters.
func fixed(_ value: Double, _ decimals: Int, width: Int = 0) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(scaled) - whole * Int(scale))
    while fraction.count < decimals { fraction = "0" + fraction }
    let text = (value < 0 ? "-" : "") + String(whole) + (decimals > 0 ? "." + fraction : "")
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func line(_ name: String, _ ns: @autoclosure () async throws -> Double, reference: Double) async rethrows {
    if let only, !name.hasPrefix(only) { return }
    let ns = try await ns()
    let padded = name + String(repeating: " ", count: max(0, 44 - name.count))
    print("\(padded) \(fixed(ns, 1, width: 8)) ns/request   +\(fixed(ns - reference, 1, width: 6)) ns   ratio \(fixed(ns / reference, 2))")
}

/// A middleware that only calls the rest of the chain: what the chain itself costs per layer.
struct PassThrough: HTTPClientMiddleware {
    func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        try await next(request)
    }
}

let reference = only == nil || only == "reference" ? try await perRequest([]) : 1
print("CPU time per request, best of 10 rounds of \(requests / 2) requests")
if only == nil { try await line("reference: client, no middleware", reference, reference: reference) }
try await line("1 pass-through middleware (the chain)", try await perRequest([PassThrough()]), reference: reference)
try await line("6 pass-through middleware (the chain)", try await perRequest(Array(repeating: PassThrough(), count: 6)), reference: reference)
try await line("standard pipeline", try await perRequest([ResiliencePipeline.standard()]), reference: reference)
try await line("stages of the standard pipeline, chained", try await perRequest(ResiliencePipeline.standard().stages), reference: reference)
try await line("retry (with budget)", try await perRequest([RetryMiddleware()]), reference: reference)
try await line("retry (no budget)", try await perRequest([RetryMiddleware(policy: RetryPolicy(), budget: nil)]), reference: reference)
try await line("circuit breaker", try await perRequest([CircuitBreaker()]), reference: reference)
try await line("adaptive rate limiter (+ feedback)", try await {
    let limiter = RateLimiter.adaptive()
    return try await perRequest([limiter, limiter.attemptFeedback()])
}(), reference: reference)
try await line("token bucket rate limiter (unreached)", try await perRequest([RateLimiter(rate: 1e9, burst: 1_000_000)]), reference: reference)
try await line("concurrency limiter", try await perRequest([ConcurrencyLimiter(limit: 100)]), reference: reference)
try await line("deadline + attempt timeout", try await perRequest([DeadlineMiddleware(.seconds(30)), AttemptTimeoutMiddleware(.seconds(10))]),
     reference: reference)
try await line("hedging (answer before the delay)", try await perRequest([HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.seconds(10))))]),
     reference: reference)

if only != nil { exit(0) }
print("pure decision values (ns per operation):")
func pureBreaker() -> Double {
    let t0 = SystemClock.now()
    var machine = CircuitBreakerMachine(policy: CircuitBreakerPolicy(), now: t0)
    return measureSync(requests) { index in
        let now = t0 + .nanoseconds(Int64(index) * 1000)
        guard case .permitted(let permit) = machine.requestPermission(at: now).0 else { return 0 }
        return machine.record(.success, duration: .milliseconds(1), permit: permit, at: now) == nil ? 1 : 0
    }
}
func pureBucket() -> Double {
    let t0 = SystemClock.now()
    var bucket = TokenBucket(rate: 1e9, burst: 1_000, now: t0)
    return measureSync(requests) { index in
        if case .granted = bucket.reserve(at: t0 + .nanoseconds(Int64(index) * 1000), maximumWait: .zero) { return 1 }
        return 0
    }
}
func pureBudget() -> Double {
    let t0 = SystemClock.now()
    var ledger = RetryBudgetLedger(policy: RetryBudgetPolicy(), now: t0)
    return measureSync(requests) { index in
        let now = t0 + .nanoseconds(Int64(index) * 1000)
        ledger.recordRequest(at: now)
        return index % 10 == 0 && ledger.withdraw(at: now) ? 1 : 0
    }
}
func pureBackoff() -> Double {
    var generator = RandomSource.seeded(1).generator
    let backoff = Backoff.default
    return measureSync(requests) { index in
        Int(backoff.delay(forRetry: index % 8 + 1, previous: nil, using: &generator).components.attoseconds & 1)
    }
}
print("  breaker permission + outcome     \(fixed(pureBreaker(), 1, width: 6))")
print("  token bucket reservation         \(fixed(pureBucket(), 1, width: 6))")
print("  budget deposit (+ 10% withdraw)  \(fixed(pureBudget(), 1, width: 6))")
print("  backoff delay (seeded)           \(fixed(pureBackoff(), 1, width: 6))")
