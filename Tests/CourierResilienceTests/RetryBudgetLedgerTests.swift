import Testing
import CourierCore
import CourierResilience

@Suite struct RetryBudgetLedgerTests {
    let start = Timestamp(nanoseconds: 1_000_000_000_000)

    @Test func theFloorAllowsAFewRetriesWithNoTraffic() {
        var ledger = RetryBudgetLedger(policy: RetryBudgetPolicy(ratio: 0.2, minimumRetriesPerSecond: 1, window: .seconds(10)), now: start)
        let allowed = (0..<50).filter { _ in ledger.withdraw(at: start) }.count
        #expect(allowed == 10)
    }

    @Test func retriesAreCappedAtTheRatioOfRequestsPlusTheFloor() {
        var ledger = RetryBudgetLedger(policy: RetryBudgetPolicy(ratio: 0.2, minimumRetriesPerSecond: 0.5, window: .seconds(10)), now: start)
        var now = start
        var requests = 0, retries = 0
        // 1,000 requests over 5 s, each asking for two retries: only 20% + 5 get through.
        for index in 0..<1000 {
            now = start + .milliseconds(5 * index)
            ledger.recordRequest(at: now)
            requests += 1
            for _ in 0..<2 where ledger.withdraw(at: now) { retries += 1 }
        }
        #expect(retries == 205)
        #expect(ledger.counts.requests == 1000 && ledger.counts.retries == 205)
        #expect(ledger.balance < 1)
    }

    @Test func depositsAndWithdrawalsExpireAfterTheWindow() {
        var ledger = RetryBudgetLedger(policy: RetryBudgetPolicy(ratio: 0.5, minimumRetriesPerSecond: 0, window: .seconds(10)), now: start)
        for _ in 0..<10 { ledger.recordRequest(at: start) }
        #expect((0..<10).filter { _ in ledger.withdraw(at: start) }.count == 5)
        #expect(ledger.withdraw(at: start + .seconds(9)) == false)
        // Both the deposits and the withdrawals are gone after the window: nothing allowed, nothing owed.
        ledger.advance(to: start + .seconds(11))
        #expect(ledger.counts == .zero)
        #expect(ledger.withdraw(at: start + .seconds(11)) == false)
        var idle = ledger
        #expect(idle.isIdle(at: start + .seconds(11)) == true)
        ledger.recordRequest(at: start + .seconds(12))
        ledger.recordRequest(at: start + .seconds(12))
        #expect(ledger.withdraw(at: start + .seconds(12)) == true)
        #expect(ledger.withdraw(at: start + .seconds(12)) == false)
    }

    @Test func theWindowSlidesSlotBySlot() {
        var window = SlidingWindow<RetryBudgetLedger.Counts>(length: .seconds(10), slotCount: 10, now: start)
        for second in 0..<10 {
            window.record(.init(requests: 1, retries: 0), at: start + .seconds(second))
        }
        #expect(window.total.requests == 10)
        window.advance(to: start + .seconds(10))
        #expect(window.total.requests == 9)
        window.advance(to: start + .milliseconds(14_500))
        #expect(window.total.requests == 5)
        window.advance(to: start + .seconds(100))
        #expect(window.total.requests == 0)
        // Time going backwards is time standing still.
        window.record(.init(requests: 2, retries: 0), at: start)
        #expect(window.total.requests == 2)
    }
}
