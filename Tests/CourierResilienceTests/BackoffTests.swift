import Testing
import CourierCore
@testable import CourierResilience

@Suite struct BackoffTests {
    private func samples(_ backoff: Backoff, retry: Int, previous: Duration? = nil, count: Int = 10_000,
                         seed: UInt64 = 42) -> [Duration] {
        var generator = RandomSource.seeded(seed).generator
        return (0..<count).map { _ in backoff.delay(forRetry: retry, previous: previous, using: &generator) }
    }

    @Test func fullJitterStaysBetweenZeroAndTheExponentialCeiling() {
        let backoff = Backoff.exponential(base: .milliseconds(100), cap: .seconds(2), jitter: .full)
        for (retry, ceiling) in [(1, Duration.milliseconds(100)), (2, .milliseconds(200)), (3, .milliseconds(400)),
                                 (5, .milliseconds(1600)), (6, .seconds(2)), (40, .seconds(2))] {
            let values = samples(backoff, retry: retry)
            #expect(values.allSatisfy { $0 >= .zero && $0 <= ceiling }, "retry \(retry)")
            #expect(backoff.maximumDelay(forRetry: retry, previous: nil) == ceiling)
            // Uniform: the mean is half the ceiling, and both halves are used.
            let mean = values.map(\.secondsDouble).reduce(0, +) / Double(values.count)
            #expect(abs(mean - ceiling.secondsDouble / 2) < ceiling.secondsDouble * 0.02, "retry \(retry) mean \(mean)")
            #expect(values.contains { $0 < ceiling / 10 } && values.contains { $0 > ceiling * 9 / 10 })
        }
    }

    @Test func equalJitterKeepsAtLeastHalfTheCeiling() {
        let backoff = Backoff.exponential(base: .milliseconds(100), cap: .seconds(1), jitter: .equal)
        for (retry, ceiling) in [(1, Duration.milliseconds(100)), (3, .milliseconds(400)), (9, .seconds(1))] {
            let values = samples(backoff, retry: retry)
            #expect(values.allSatisfy { $0 >= ceiling / 2 && $0 <= ceiling }, "retry \(retry)")
            let mean = values.map(\.secondsDouble).reduce(0, +) / Double(values.count)
            #expect(abs(mean - ceiling.secondsDouble * 0.75) < ceiling.secondsDouble * 0.02)
        }
    }

    @Test func noJitterIsTheCeilingExactly() {
        let backoff = Backoff.exponential(base: .milliseconds(250), multiplier: 3, cap: .seconds(5), jitter: .none)
        var generator = RandomSource.seeded(1).generator
        let delays = (1...5).map { backoff.delay(forRetry: $0, previous: nil, using: &generator) }
        #expect(delays == [.milliseconds(250), .milliseconds(750), .milliseconds(2250), .seconds(5), .seconds(5)])
    }

    @Test func decorrelatedJitterStaysBetweenBaseAndThreeTimesThePreviousDelay() {
        let backoff = Backoff.decorrelatedJitter(base: .milliseconds(100), cap: .seconds(3))
        var generator = RandomSource.seeded(7).generator
        var previous: Duration?
        for retry in 1...2000 {
            let delay = backoff.delay(forRetry: retry, previous: previous, using: &generator)
            let high = min(Duration.seconds(3), max(.milliseconds(100), (previous ?? .milliseconds(100)) * 3))
            #expect(delay >= .milliseconds(100) && delay <= high, "retry \(retry): \(delay) not in 100ms...\(high)")
            #expect(delay <= backoff.maximumDelay(forRetry: retry, previous: previous))
            previous = delay
        }
        // The walk reaches the cap region and comes back down: it is not monotonic.
        let values = samples(backoff, retry: 2, previous: .seconds(1))
        #expect(values.allSatisfy { $0 >= .milliseconds(100) && $0 <= .seconds(3) })
        #expect(values.contains { $0 > .milliseconds(2900) } && values.contains { $0 < .milliseconds(200) })
    }

    @Test func constantIsConstant() {
        var generator = RandomSource.seeded(3).generator
        let backoff = Backoff.constant(.milliseconds(300))
        #expect((1...10).map { backoff.delay(forRetry: $0, previous: nil, using: &generator) }
                == Array(repeating: .milliseconds(300), count: 10))
    }

    @Test func hugeRetryNumbersAndCapsDoNotOverflow() {
        var generator = RandomSource.seeded(9).generator
        let wide = Backoff.exponential(base: .seconds(1), multiplier: 10, cap: .seconds(1_000_000), jitter: .none)
        #expect(wide.delay(forRetry: 10_000, previous: nil, using: &generator) == .seconds(1_000_000))
        let beyond = Backoff.exponential(base: .seconds(1), cap: .seconds(Int64.max), jitter: .none)
        #expect(beyond.delay(forRetry: 200, previous: nil, using: &generator) == .nanoseconds(Int64.max))
        let zero = Backoff.exponential(base: .zero, cap: .seconds(1))
        #expect(zero.delay(forRetry: 1_000, previous: nil, using: &generator) == .zero)
    }

    @Test func seededSourcesAreReproducibleAndUnitValuesAreInRange() {
        let a = RandomSource.seeded(123), b = RandomSource.seeded(123)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        let unit = (0..<10_000).map { _ in a.unit() }
        #expect(unit.allSatisfy { $0 >= 0 && $0 < 1 })
    }
}
