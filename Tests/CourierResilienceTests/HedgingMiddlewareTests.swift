import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct HedgingMiddlewareTests {
    @Test func aSlowPrimaryIsHedgedAndTheLoserIsCancelled() async throws {
        let clock = VirtualClock()
        let log = EventLog()
        let hedging = HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.milliseconds(100))), clock: clock, telemetry: log.telemetry())
        let gate = GatedNext()
        gate.preset(2, .success(200))
        let task = Task { try await hedging.execute(request(), next: gate.next) }
        try await waitUntil("the primary") { gate.waiting == 1 }
        try await clock.waitForSleepers(1)
        #expect(gate.arrived == 1)
        clock.advance(by: .milliseconds(100))
        let response = try await withTimeout { try await task.value }
        #expect(response.status.code == 200)
        #expect(gate.arrived == 2 && gate.cancelled == 1 && gate.waiting == 0)
        #expect(log.kinds.contains(.hedgeStarted(attempt: 2)) && log.kinds.contains(.hedgeWon(attempt: 2)))
    }

    @Test func aFastPrimaryIsNotHedged() async throws {
        let clock = VirtualClock()
        let hedging = HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.seconds(1))), clock: clock)
        let gate = GatedNext()
        let task = Task { try await hedging.execute(request(), next: gate.next) }
        try await waitUntil("the primary") { gate.waiting == 1 }
        gate.answerOldest(204)
        #expect(try await withTimeout { try await task.value }.status.code == 204)
        #expect(gate.arrived == 1 && clock.sleeperCount == 0)
    }

    @Test func aFailedAttemptStartsTheNextAtOnce() async throws {
        let clock = VirtualClock()
        let hedging = HedgingMiddleware(policy: HedgingPolicy(maximumAttempts: 3, delay: .fixed(.seconds(10))), clock: clock)
        let gate = GatedNext()
        gate.preset(1, .failure(HTTPClientError(.connectionClosed, "reset")))
        gate.preset(2, .success(503))
        gate.preset(3, .success(200))
        let response = try await withTimeout { try await hedging.execute(request(), next: gate.next) }
        #expect(response.status.code == 200 && gate.arrived == 3)
        // All failed: the last outcome is the answer.
        let failing = GatedNext()
        for attempt in 1...2 { failing.preset(attempt, .success(503)) }
        let last = try await withTimeout {
            try await HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.seconds(10))), clock: clock).execute(request(), next: failing.next)
        }
        #expect(last.status.code == 503 && failing.arrived == 2)
    }

    @Test func writesAndUnbudgetedHedgesAreNotSent() async throws {
        let clock = VirtualClock()
        let hedging = HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.milliseconds(1))), clock: clock)
        let post = ScriptedNext([.status(503)])
        _ = try await withTimeout { try await hedging.execute(request(.post, body: .string("x")), next: post.next) }
        #expect(post.count == 1)

        let budget = RetryBudget(policy: RetryBudgetPolicy(ratio: 0, minimumRetriesPerSecond: 0.1, window: .seconds(10)))
        let budgeted = HedgingMiddleware(policy: HedgingPolicy(delay: .fixed(.milliseconds(1))), budget: budget, clock: clock)
        let gate = GatedNext()
        for attempt in 1...10 { gate.preset(attempt, .success(503)) }
        for _ in 0..<3 { _ = try await withTimeout { try await budgeted.execute(request(), next: gate.next) } }
        // One hedge fits the budget (a floor of one per ten seconds); the other requests get one attempt.
        #expect(gate.arrived == 4)
    }

    @Test func thePercentileDelayFollowsObservedLatencies() async throws {
        let clock = VirtualClock()
        let hedging = HedgingMiddleware(policy: HedgingPolicy(delay: .percentile(0.9, minimum: .milliseconds(5), fallback: .milliseconds(700))),
                                        clock: clock)
        #expect(hedging.currentDelay() == .milliseconds(700))
        let gate = GatedNext()
        for index in 1...40 {
            let task = Task { try await hedging.execute(request(), next: gate.next) }
            try await waitUntil("attempt \(index)") { gate.waiting == 1 }
            try await clock.waitForSleepers(1)
            clock.advance(by: .milliseconds(index <= 36 ? 20 : 60))
            gate.answerOldest()
            _ = try await withTimeout { try await task.value }
        }
        // 90% of the responses took 20 ms: the delay is 20 ms (within a histogram bucket).
        let delay = hedging.currentDelay()
        #expect(delay >= .milliseconds(20) && delay < .milliseconds(22))
    }
}
