import Testing
import Courier
import CourierCore
@testable import CourierResilience

@Suite struct TokenBucketTests {
    let t0 = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test func aFullBucketAllowsItsBurstThenOneTokenPerInterval() {
        var bucket = TokenBucket(rate: 10, burst: 5, now: t0)
        #expect(bucket.availableTokens(at: t0) == 5)
        for _ in 0..<5 { #expect(bucket.reserve(at: t0, maximumWait: .zero) == .granted(wait: .zero)) }
        #expect(bucket.reserve(at: t0, maximumWait: .zero) == .refused(wait: .milliseconds(100)))
        #expect(bucket.availableTokens(at: t0 + .milliseconds(99)) == 0)
        #expect(bucket.availableTokens(at: t0 + .milliseconds(100)) == 1)
        #expect(bucket.availableTokens(at: t0 + .seconds(60)) == 5)
    }

    @Test func reservationsQueueInArrivalOrderWithExactWaits() {
        var bucket = TokenBucket(rate: 4, burst: 1, now: t0)
        let waits = (0..<5).map { _ -> Duration in
            guard case .granted(let wait) = bucket.reserve(at: t0, maximumWait: .seconds(10)) else { return .seconds(-1) }
            return wait
        }
        #expect(waits == [.zero, .milliseconds(250), .milliseconds(500), .milliseconds(750), .seconds(1)])
        // Refused reservations take nothing.
        #expect(bucket.reserve(at: t0, maximumWait: .milliseconds(100)) == .refused(wait: .milliseconds(1250)))
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(2)) == .granted(wait: .milliseconds(1250)))
        // A cancelled reservation gives its token back to the next one.
        bucket.cancelReservation(at: t0)
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(2)) == .granted(wait: .milliseconds(1250)))
    }

    @Test func overALongRunTheRateIsTheConfiguredRate() {
        var bucket = TokenBucket(rate: 50, burst: 10, now: t0)
        var granted = 0
        // A client trying every millisecond for 20 s gets the burst plus 50 a second.
        for millisecond in 0..<20_000 {
            if case .granted = bucket.reserve(at: t0 + .milliseconds(millisecond), maximumWait: .zero) { granted += 1 }
        }
        #expect(granted == 10 + 50 * 20 - 1 || granted == 10 + 50 * 20)
    }

    @Test func aBlockHoldsEveryoneThenReleasesAtTheRateWithoutABurst() {
        var bucket = TokenBucket(rate: 10, burst: 5, now: t0)
        bucket.block(until: t0 + .seconds(3))
        #expect(bucket.heldUntil(now: t0) == t0 + .seconds(3))
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(1)) == .refused(wait: .seconds(3)))
        let waits = (0..<3).map { _ -> Duration in
            guard case .granted(let wait) = bucket.reserve(at: t0, maximumWait: .seconds(10)) else { return .seconds(-1) }
            return wait
        }
        #expect(waits == [.seconds(3), .milliseconds(3100), .milliseconds(3200)])
        // An earlier block does not shorten a later one.
        bucket.block(until: t0 + .seconds(1))
        #expect(bucket.heldUntil(now: t0)! >= t0 + .seconds(3))
    }

    @Test func anUnlimitedBucketOnlyHonoursBlocks() {
        var bucket = TokenBucket(rate: nil, burst: 1, now: t0)
        for _ in 0..<10_000 { #expect(bucket.reserve(at: t0, maximumWait: .zero) == .granted(wait: .zero)) }
        bucket.block(until: t0 + .seconds(2))
        #expect(bucket.reserve(at: t0 + .seconds(1), maximumWait: .seconds(5)) == .granted(wait: .seconds(1)))
        #expect(bucket.reserve(at: t0 + .seconds(2), maximumWait: .zero) == .granted(wait: .zero))
        #expect(bucket.isIdle(at: t0 + .seconds(2)) == true)
    }

    @Test func changingTheRateKeepsSavedTokensAndQueuedTimes() {
        var bucket = TokenBucket(rate: 10, burst: 10, now: t0)
        for _ in 0..<4 { _ = bucket.reserve(at: t0, maximumWait: .zero) }
        bucket.setRate(1, at: t0)
        #expect(bucket.availableTokens(at: t0) == 6)
        for _ in 0..<6 { #expect(bucket.reserve(at: t0, maximumWait: .zero) == .granted(wait: .zero)) }
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(5)) == .granted(wait: .seconds(1)))
        // Queued: the next grant stays where it was; later ones follow the new rate.
        bucket.setRate(4, at: t0)
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(5)) == .granted(wait: .milliseconds(1250)))
        bucket.setRate(nil, at: t0)
        #expect(bucket.reserve(at: t0, maximumWait: .seconds(5)) == .granted(wait: .milliseconds(1250)))
        #expect(bucket.reserve(at: t0 + .seconds(2), maximumWait: .zero) == .granted(wait: .zero))
    }
}

@Suite struct AdaptiveRateControllerTests {
    let t0 = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test func a429HalvesTheRateActuallySentThenItRecoversLinearly() {
        var controller = AdaptiveRateController(policy: AdaptiveRatePolicy(recoveryInterval: .seconds(5)), ceiling: nil, now: t0)
        // 200 requests over the last second: 100 a second over the two-second measuring window.
        for index in 0..<200 { controller.recordSend(at: t0 + .milliseconds(5 * index)) }
        let now = t0 + .seconds(1)
        let adjustment = controller.observe(status: .tooManyRequests, hints: ServerBackoffHints(), at: now)
        #expect(adjustment?.rateChanged == true && adjustment?.rate == 50 && adjustment?.holdUntil == nil)
        #expect(controller.rate(at: now) == 50)
        #expect(controller.rate(at: now + .seconds(5)) == 100)
        #expect(controller.rate(at: now + .seconds(10)) == 150)
        // An unlimited limiter is unlimited again at 16 times the decreased rate.
        #expect(controller.rate(at: now + .seconds(75)) == nil)
        var idle = controller
        #expect(idle.isIdle(at: now + .seconds(80)) == true)
    }

    @Test func theRateNeverExceedsTheCeilingNorDropsBelowTheMinimum() {
        var controller = AdaptiveRateController(policy: AdaptiveRatePolicy(minimumRate: 2), ceiling: 20, now: t0)
        #expect(controller.rate(at: t0) == 20)
        for index in 0..<3 { controller.recordSend(at: t0 + .milliseconds(index)) }
        #expect(controller.observe(status: .tooManyRequests, hints: ServerBackoffHints(), at: t0)?.rate == 2)
        #expect(controller.observe(status: .tooManyRequests, hints: ServerBackoffHints(), at: t0)?.rate == 2)
        #expect(controller.rate(at: t0 + .seconds(1000)) == 20)
    }

    @Test func retryAfterAndExhaustedWindowsHoldRequests() {
        var controller = AdaptiveRateController(policy: AdaptiveRatePolicy(maximumHold: .seconds(60)), ceiling: nil, now: t0)
        let retryAfter = controller.observe(status: .serviceUnavailable, hints: ServerBackoffHints(retryAfter: .seconds(7)), at: t0)
        #expect(retryAfter?.holdUntil == t0 + .seconds(7) && retryAfter?.rateChanged == false)
        let exhausted = controller.observe(status: .ok, hints: ServerBackoffHints(reset: .seconds(30), remaining: 0), at: t0)
        #expect(exhausted?.holdUntil == t0 + .seconds(30))
        let capped = controller.observe(status: .tooManyRequests, hints: ServerBackoffHints(retryAfter: .seconds(3600)), at: t0)
        #expect(capped?.holdUntil == t0 + .seconds(60))
        #expect(controller.observe(status: .ok, hints: ServerBackoffHints(reset: .seconds(30), remaining: 4), at: t0) == nil)
        var ignoring = AdaptiveRateController(policy: AdaptiveRatePolicy(followsRateLimitHeaders: false), ceiling: nil, now: t0)
        #expect(ignoring.observe(status: .ok, hints: ServerBackoffHints(reset: .seconds(30), remaining: 0), at: t0) == nil)
    }
}

@Suite struct ConcurrencyLimitTests {
    @Test func slotsThenABoundedQueueThenRejection() {
        var queue = ConcurrencyLimitQueue(limit: 2, maximumQueueLength: 2)
        #expect(queue.tryAdmit() == 1)
        #expect(queue.acquire(2) == .admitted)
        #expect(queue.tryAdmit() == nil)
        #expect(queue.acquire(3) == .queued)
        #expect(queue.acquire(4) == .queued)
        #expect(queue.acquire(5) == .rejected)
        #expect(queue.cancel(3) == true)
        #expect(queue.cancel(3) == false)
        #expect(queue.release() == 4)
        #expect(queue.inFlight == 2 && queue.queueLength == 0)
        #expect(queue.release() == nil)
        #expect(queue.release() == nil)
        #expect(queue.inFlight == 0)
    }

    @Test func aWaiterDoesNotGetOvertakenAndLimitChangesAdmitOrDrain() {
        var queue = ConcurrencyLimitQueue(limit: 1, maximumQueueLength: 10)
        #expect(queue.acquire(1) == .admitted)
        for id in 2...5 { #expect(queue.acquire(UInt64(id)) == .queued) }
        #expect(queue.tryAdmit() == nil)
        #expect(queue.setLimit(3) == [2, 3])
        #expect(queue.inFlight == 3)
        // Shrinking takes effect as requests finish: no handover until in flight is below the new limit.
        _ = queue.setLimit(1)
        #expect(queue.release() == nil)
        #expect(queue.release() == nil)
        #expect(queue.release() == 4)
        #expect(queue.release() == 5)
        #expect(queue.release() == nil && queue.inFlight == 0)
    }

    @Test func manyWaitersCompactTheQueue() {
        var queue = ConcurrencyLimitQueue(limit: 1, maximumQueueLength: 1000)
        _ = queue.acquire(0)
        for id in 1...1000 { #expect(queue.acquire(UInt64(id)) == .queued) }
        for id in 1...1000 { #expect(queue.release() == UInt64(id)) }
        #expect(queue.release() == nil && queue.queueLength == 0)
    }

    @Test func aimdGrowsByOneWhenUsedAndShrinksOnDrops() {
        var limit = AIMDLimit(policy: AIMDLimitPolicy(initialLimit: 10, minimumLimit: 2, maximumLimit: 12, backoffRatio: 0.5,
                                                      latencyThreshold: .seconds(1)))
        #expect(limit.record(latency: .milliseconds(10), inFlight: 2, dropped: false) == 10)
        #expect(limit.record(latency: .milliseconds(10), inFlight: 5, dropped: false) == 11)
        #expect(limit.record(latency: .milliseconds(10), inFlight: 11, dropped: false) == 12)
        #expect(limit.record(latency: .milliseconds(10), inFlight: 12, dropped: false) == 12)
        #expect(limit.record(latency: .milliseconds(10), inFlight: 12, dropped: true) == 6)
        #expect(limit.record(latency: .seconds(2), inFlight: 6, dropped: false) == 3)
        #expect(limit.record(latency: .milliseconds(1), inFlight: 1, dropped: true) == 2)
        #expect(limit.record(latency: .milliseconds(1), inFlight: 1, dropped: true) == 2)
    }
}

@Suite struct LatencyHistogramTests {
    let t0 = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test func percentilesAreWithinABucketOfTheTruth() {
        var histogram = LatencyHistogram(window: .seconds(30), now: t0)
        for millisecond in 1...1000 { histogram.record(.milliseconds(millisecond), at: t0) }
        for (quantile, truth) in [(0.5, 500.0), (0.95, 950.0), (0.99, 990.0), (1.0, 1000.0)] {
            let estimate = histogram.percentile(quantile, at: t0)!.secondsDouble * 1000
            #expect(estimate >= truth && estimate <= truth * 1.07, "p\(quantile): \(estimate)")
        }
        #expect(histogram.percentile(0.5, minimumSamples: 2000, at: t0) == nil)
    }

    @Test func oldSamplesAgeOut() {
        var histogram = LatencyHistogram(window: .seconds(10), now: t0)
        for _ in 0..<100 { histogram.record(.seconds(1), at: t0) }
        histogram.record(.milliseconds(10), at: t0 + .seconds(11))
        #expect(histogram.count == 101)
        #expect(histogram.percentile(0.5, at: t0 + .seconds(11))! >= .seconds(1))
        #expect(histogram.percentile(0.5, at: t0 + .seconds(25))! < .milliseconds(11))
        #expect(histogram.percentile(0.5, at: t0 + .seconds(60)) == nil)
    }

    @Test func bucketsCoverEveryValueAndTheirEdgesContainThem() {
        var value: UInt64 = 0
        while value < UInt64(1) << 62 {
            let bucket = LatencyHistogram.bucket(of: value)
            #expect(LatencyHistogram.upperEdge(of: bucket) >= value)
            #expect(bucket == 0 || LatencyHistogram.upperEdge(of: bucket - 1) < value)
            value = value < 64 ? value + 1 : value + value / 7
        }
    }
}
