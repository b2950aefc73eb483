import Testing
@testable import CourierReactor

@Suite struct IdlePollWindowTests {
    private let start = IdlePollWindow.growStart

    @Test func opensOnlyAfterAnIdlePeriodPollingWouldHaveCaught() {
        var window = IdlePollWindow(maximum: 200_000)
        #expect(window.current == 0)
        window.recordBlocked(idleFor: 5_000_000)
        #expect(window.current == 0, "a long wait leaves a closed window closed")
        window.recordBlocked(idleFor: 30_000)
        #expect(window.current == start)
    }

    @Test func doublesUpToTheMaximumWhileWaitsStayShort() {
        var window = IdlePollWindow(maximum: 200_000)
        var seen: [UInt64] = []
        for _ in 0..<6 {
            window.recordBlocked(idleFor: 190_000)
            seen.append(window.current)
        }
        #expect(seen == [start, start * 2, start * 4, 200_000, 200_000, 200_000])
    }

    @Test func aWaitThePollCoveredChangesNothing() {
        var window = IdlePollWindow(maximum: 200_000)
        window.recordBlocked(idleFor: 100_000)
        window.recordBlocked(idleFor: 100_000)
        let before = window
        window.recordBlocked(idleFor: start * 2)
        window.recordBlocked(idleFor: 1_000)
        #expect(window == before)
    }

    @Test func halvesAfterLongWaitsAndClosesBelowTheGrowStart() {
        var window = IdlePollWindow(maximum: 200_000)
        for _ in 0..<4 { window.recordBlocked(idleFor: 150_000) }
        #expect(window.current == 200_000)
        var seen: [UInt64] = []
        for _ in 0..<4 {
            window.recordBlocked(idleFor: 10_000_000)
            seen.append(window.current)
        }
        #expect(seen == [100_000, 50_000, start, 0])
    }

    @Test func aZeroMaximumNeverPolls() {
        var window = IdlePollWindow(maximum: 0)
        #expect(!window.isEnabled)
        for idle: UInt64 in [0, 1, 1_000, 30_000] { window.recordBlocked(idleFor: idle) }
        #expect(window.current == 0)
    }

    @Test func aMaximumBelowTheGrowStartCapsTheWindow() {
        var window = IdlePollWindow(maximum: 10_000)
        window.recordBlocked(idleFor: 9_000)
        #expect(window.current == 10_000)
        window.recordBlocked(idleFor: 20_000)
        #expect(window.current == 0)
    }
}
