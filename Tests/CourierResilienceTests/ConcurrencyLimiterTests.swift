import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct ConcurrencyLimiterTests {
    @Test func slotsThenABoundedQueueThenFastRejection() async throws {
        let clock = VirtualClock()
        let metrics = TestMetrics()
        let limiter = ConcurrencyLimiter(limit: 2, maximumQueueLength: 1, clock: clock, telemetry: EventLog().telemetry(metrics: metrics))
        let gate = GatedNext()
        let running = (0..<2).map { _ in Task { try await limiter.execute(request(), next: gate.next) } }
        try await waitUntil("two in flight") { gate.waiting == 2 }
        let queued = Task { try await limiter.execute(request(), next: gate.next) }
        try await waitUntil("one queued") { limiter.load().queued == 1 }
        do {
            _ = try await withTimeout { try await limiter.execute(request(), next: gate.next) }
            Issue.record("the queue had no bound")
        } catch let error as HTTPClientError {
            #expect(error.code == .concurrencyLimited && error.isSafeToRetry)
            #expect((error.underlying as? ConcurrencyLimitExceeded)?.queueLength == 1)
        }
        #expect(gate.arrived == 2)
        gate.answerOldest()
        try await waitUntil("the queued request admitted") { gate.waiting == 2 }
        #expect(limiter.load().inFlight == 2 && limiter.load().queued == 0)
        gate.answerOldest()
        gate.answerOldest()
        for task in running + [queued] { _ = try await withTimeout { try await task.value } }
        #expect(limiter.load().inFlight == 0)
        #expect(metrics.counter("courier_resilience_concurrency_rejections_total") == 1)
        #expect(metrics.counter("courier_resilience_concurrency_queued_total") == 1)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let limiter = ConcurrencyLimiter(limit: 1, maximumQueueLength: 5, clock: VirtualClock())
        let gate = GatedNext()
        let first = Task { try await limiter.execute(request(), next: gate.next) }
        try await waitUntil("in flight") { gate.waiting == 1 }
        let waiter = Task { try await limiter.execute(request(), next: gate.next) }
        try await waitUntil("queued") { limiter.load().queued == 1 }
        waiter.cancel()
        do {
            _ = try await withTimeout { try await waiter.value }
            Issue.record("not cancelled")
        } catch let error as HTTPClientError {
            #expect(error.code == .cancelled)
        }
        #expect(limiter.load().queued == 0)
        gate.answerOldest()
        _ = try await withTimeout { try await first.value }
        #expect(limiter.load().inFlight == 0 && gate.arrived == 1)
    }

    @Test func aWaiterGivesUpAfterTheMaximumWait() async throws {
        let clock = VirtualClock()
        let limiter = ConcurrencyLimiter(limit: 1, maximumQueueLength: 5, maximumWait: .seconds(2), clock: clock)
        let gate = GatedNext()
        let first = Task { try await limiter.execute(request(), next: gate.next) }
        try await waitUntil("in flight") { gate.waiting == 1 }
        let waiter = Task { try await limiter.execute(request(), next: gate.next) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(2))
        do {
            _ = try await withTimeout { try await waiter.value }
            Issue.record("waited forever")
        } catch let error as HTTPClientError {
            #expect(error.code == .concurrencyLimited)
            #expect((error.underlying as? ConcurrencyLimitExceeded)?.queueLength == nil)
        }
        gate.answerOldest()
        _ = try await withTimeout { try await first.value }
        #expect(limiter.load().inFlight == 0 && limiter.load().queued == 0)
    }

    @Test func anAdaptiveLimitShrinksOnOverloadAndGrowsWhenUsed() async throws {
        let log = EventLog()
        let limiter = ConcurrencyLimiter(limit: 0, adaptive: AIMDLimitPolicy(initialLimit: 10, minimumLimit: 2, maximumLimit: 20),
                                         clock: VirtualClock(autoAdvance: true), telemetry: log.telemetry())
        let overloaded = ScriptedNext(Array(repeating: .status(503), count: 5))
        for _ in 0..<5 { _ = try await withTimeout { try await limiter.execute(request(), next: overloaded.next) } }
        // 10 → 9 → 8 → 7 → 6 → 5.
        #expect(limiter.currentLimit() == 5)
        let timeouts = ScriptedNext([.error(HTTPClientError(.readTimeout, "slow"))])
        _ = try? await withTimeout { try await limiter.execute(request(), next: timeouts.next) }
        #expect(limiter.currentLimit() == 4)
        // Successes grow it only while at least half of it is in use.
        let gate = GatedNext()
        let tasks = (0..<4).map { _ in Task { try await limiter.execute(request(), next: gate.next) } }
        try await waitUntil("four in flight") { gate.waiting == 4 }
        for _ in 0..<4 { gate.answerOldest() }
        for task in tasks { _ = try await withTimeout { try await task.value } }
        #expect(limiter.currentLimit() > 4)
        #expect(log.kinds.contains(.concurrencyLimitChanged(limit: 5)))
    }
}
