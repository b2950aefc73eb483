import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct RateLimiterTests {
    let key = ResilienceKey(scheme: "https", authority: "api.example")

    @Test func failingFastCarriesTheWait() async throws {
        let clock = VirtualClock()
        let limiter = RateLimiter(rate: 2, burst: 2, maximumWait: .zero, clock: clock)
        let next = ScriptedNext([])
        for _ in 0..<2 { _ = try await withTimeout { try await limiter.execute(request(), next: next.next) } }
        do {
            _ = try await withTimeout { try await limiter.execute(request(), next: next.next) }
            Issue.record("no limit")
        } catch let error as HTTPClientError {
            #expect(error.code == .rateLimited && error.isSafeToRetry)
            #expect((error.underlying as? RateLimitExceeded)?.retryAfter == .milliseconds(500))
        }
        #expect(next.count == 2)
        clock.advance(by: .milliseconds(500))
        _ = try await withTimeout { try await limiter.execute(request(), next: next.next) }
        #expect(next.count == 3)
    }

    @Test func waitersGoOneIntervalApartInArrivalOrder() async throws {
        let clock = VirtualClock()
        let metrics = TestMetrics()
        let log = EventLog()
        let limiter = RateLimiter(rate: 10, burst: 1, maximumWait: .seconds(1), clock: clock, telemetry: log.telemetry(metrics: metrics))
        let next = ScriptedNext([])
        _ = try await withTimeout { try await limiter.execute(request(), next: next.next) }
        let tasks = (0..<3).map { _ in Task { try await limiter.execute(request(), next: next.next) } }
        try await clock.waitForSleepers(3)
        #expect(next.count == 1)
        clock.advance(by: .milliseconds(100))
        try await waitUntil("one waiter released") { next.count == 2 }
        clock.advance(by: .milliseconds(200))
        for task in tasks { _ = try await withTimeout { try await task.value } }
        #expect(next.count == 4)
        #expect(metrics.counter("courier_resilience_rate_limiter_waits_total") == 3)
        let waits = log.kinds.compactMap { kind -> Duration? in if case .rateLimiterWaited(let wait) = kind { wait } else { nil } }
        #expect(waits.sorted() == [.milliseconds(100), .milliseconds(200), .milliseconds(300)])
    }

    @Test func aCancelledWaiterReturnsItsToken() async throws {
        let clock = VirtualClock()
        let limiter = RateLimiter(rate: 1, burst: 1, maximumWait: .seconds(5), clock: clock)
        let next = ScriptedNext([])
        _ = try await withTimeout { try await limiter.execute(request(), next: next.next) }
        let waiting = Task { try await limiter.execute(request(), next: next.next) }
        try await clock.waitForSleepers(1)
        waiting.cancel()
        await #expect(throws: HTTPClientError.self) { try await withTimeout { try await waiting.value } }
        // The slot a second from now is free again: the next request gets it rather than the one after.
        let after = Task { try await limiter.execute(request(), next: next.next) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        _ = try await withTimeout { try await after.value }
        #expect(next.count == 2)
    }

    @Test func anAdaptiveLimiterHoldsAnOriginAfterRetryAfterAndSlowsDownOn429() async throws {
        let clock = VirtualClock()
        let log = EventLog()
        let limiter = RateLimiter.adaptive(maximumWait: .seconds(2), clock: clock, telemetry: log.telemetry())
        var throttled = HTTPFields()
        throttled[.retryAfter] = "5"
        let next = ScriptedNext(Array(repeating: .status(200), count: 19) + [.status(429, throttled)])
        for _ in 0..<20 { _ = try await withTimeout { try await limiter.execute(request(), next: next.next) } }
        #expect(next.count == 20)
        // The 20th response was a 429: the origin is held five seconds, then paced at half the 10 a second sent.
        #expect(limiter.heldUntil(for: key) == clock.now() + .seconds(5))
        #expect(limiter.currentRate(for: key) == 5)
        do {
            _ = try await withTimeout { try await limiter.execute(request(), next: next.next) }
            Issue.record("not held")
        } catch let error as HTTPClientError {
            #expect(error.code == .rateLimited)
        }
        // Other origins go on.
        _ = try await withTimeout { try await limiter.execute(request(.get, "https://other.example/"), next: next.next) }
        #expect(next.count == 21)
        clock.advance(by: .seconds(4))
        let held = Task { try await limiter.execute(request(), next: next.next) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        _ = try await withTimeout { try await held.value }
        #expect(next.count == 22)
        #expect(log.kinds.contains(.rateLimitAdjusted(rate: 5, hold: .seconds(5))))
    }

    @Test func theFeedbackMiddlewareLearnsFromEveryAttempt() async throws {
        let clock = VirtualClock(autoAdvance: true)
        let limiter = RateLimiter.adaptive(clock: clock)
        let stack = chain([limiter, RetryMiddleware(policy: RetryPolicy(backoff: .constant(.milliseconds(10))), budget: nil, clock: clock),
                           limiter.attemptFeedback()],
                          ScriptedNext([.status(429)]).next)
        #expect(try await withTimeout { try await stack(request()) }.status.code == 200)
        // The final response was a 200, but the limiter saw the 429 before it.
        #expect(limiter.currentRate(for: key) != nil)
    }
}
