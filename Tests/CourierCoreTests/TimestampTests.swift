import Testing
import CourierCore

@Suite struct TimestampTests {
    @Test func arithmeticSaturates() {
        #expect(Timestamp.distantFuture + .seconds(1) == .distantFuture)
        #expect(Timestamp(nanoseconds: 5) + .nanoseconds(-10) == .zero)
        #expect(Timestamp(nanoseconds: 10) - Timestamp(nanoseconds: 4) == .nanoseconds(6))
        #expect(Timestamp(nanoseconds: 4) - Timestamp(nanoseconds: 10) == .nanoseconds(-6))
        #expect(Timestamp(nanoseconds: 4).elapsed(since: Timestamp(nanoseconds: 10)) == .zero)
    }

    @Test func durationNanoseconds() {
        #expect(Duration.milliseconds(1500).nanosecondsClamped == 1_500_000_000)
        #expect(Duration.seconds(Int64.max).nanosecondsClamped == Int64.max)
        #expect(Duration.seconds(-Int64.max).nanosecondsClamped == Int64.min)
    }

    @Test func manualClockMovesOnlyForward() {
        let clock = ManualClock(start: .zero)
        clock.advance(by: .milliseconds(250))
        #expect(clock.now() == Timestamp(nanoseconds: 250_000_000))
        clock.advance(by: .seconds(-1))
        clock.advance(to: .zero)
        #expect(clock.now() == Timestamp(nanoseconds: 250_000_000))
    }

    @Test func systemClockIsMonotonic() {
        let clock = SystemClock()
        var previous = clock.now()
        for _ in 0..<1000 {
            let next = clock.now()
            #expect(next >= previous)
            previous = next
        }
    }
}
