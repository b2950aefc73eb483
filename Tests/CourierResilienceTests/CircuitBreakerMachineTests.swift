import Testing
import CourierCore
import CourierResilience

@Suite struct CircuitBreakerMachineTests {
    let t0 = Timestamp(nanoseconds: 1_000_000_000_000)
    typealias Machine = CircuitBreakerMachine

    private func permit(_ machine: inout Machine, at now: Timestamp) -> Machine.Permit? {
        if case .permitted(let permit) = machine.requestPermission(at: now).0 { return permit }
        return nil
    }

    @discardableResult
    private func call(_ machine: inout Machine, _ outcome: Machine.Outcome, at now: Timestamp,
                      duration: Duration = .milliseconds(10)) -> Machine.Transition? {
        guard let permit = permit(&machine, at: now) else {
            Issue.record("the breaker rejected a call at \(now)")
            return nil
        }
        return machine.record(outcome, duration: duration, permit: permit, at: now)
    }

    @Test func consecutiveFailuresTripTheBreakerWhateverTheVolume() {
        var machine = Machine(policy: CircuitBreakerPolicy(failureRateThreshold: nil, consecutiveFailures: 3), now: t0)
        call(&machine, .failure, at: t0)
        call(&machine, .failure, at: t0)
        call(&machine, .success, at: t0)
        call(&machine, .failure, at: t0)
        #expect(call(&machine, .failure, at: t0) == nil)
        let transition = call(&machine, .failure, at: t0)
        #expect(transition?.from == .closed && transition?.to == .open && transition?.openDuration == .seconds(5))
        #expect(machine.state == .open)
    }

    @Test func theFailureRateTripsOnlyWithTheMinimumVolume() {
        var machine = Machine(policy: CircuitBreakerPolicy(failureRateThreshold: 0.5, minimumThroughput: 10), now: t0)
        for _ in 0..<9 { call(&machine, .failure, at: t0) }
        #expect(machine.state == .closed)
        #expect(call(&machine, .failure, at: t0)?.to == .open)

        var mixed = Machine(policy: CircuitBreakerPolicy(failureRateThreshold: 0.5, minimumThroughput: 10), now: t0)
        for index in 0..<100 { call(&mixed, index % 3 == 0 ? .failure : .success, at: t0 + .milliseconds(index)) }
        #expect(mixed.state == .closed)
        #expect(mixed.counts.calls == 100 && mixed.counts.failures == 34)
        // Ignored outcomes (cancellations, client errors) count for nothing.
        for _ in 0..<100 { call(&mixed, .ignored, at: t0 + .seconds(1)) }
        #expect(mixed.counts.calls == 100)
    }

    @Test func oldFailuresLeaveTheSamplingWindow() {
        var machine = Machine(policy: CircuitBreakerPolicy(failureRateThreshold: 0.5, minimumThroughput: 10,
                                                           samplingWindow: .seconds(10)), now: t0)
        for _ in 0..<9 { call(&machine, .failure, at: t0) }
        // Eleven seconds later those nine are forgotten; nine new successes and one failure do not trip.
        for _ in 0..<9 { call(&machine, .success, at: t0 + .seconds(11)) }
        call(&machine, .failure, at: t0 + .seconds(11))
        #expect(machine.state == .closed)
        #expect(machine.counts.calls == 10)
    }

    @Test func theSlowCallRateTripsTheBreaker() {
        let policy = CircuitBreakerPolicy(failureRateThreshold: nil, slowCallRateThreshold: 0.8, slowCallDuration: .seconds(2),
                                          minimumThroughput: 5)
        var machine = Machine(policy: policy, now: t0)
        for _ in 0..<4 { call(&machine, .success, at: t0, duration: .seconds(3)) }
        #expect(machine.state == .closed)
        #expect(call(&machine, .success, at: t0, duration: .seconds(2))?.to == .open)
    }

    @Test func openRejectsUntilItsTimeThenProbesAreLimited() {
        var machine = Machine(policy: CircuitBreakerPolicy(consecutiveFailures: 1, openDuration: .seconds(5), halfOpenProbes: 2), now: t0)
        call(&machine, .failure, at: t0)
        #expect(machine.requestPermission(at: t0 + .seconds(4)).0 == .rejected(until: t0 + .seconds(5)))
        let (first, transition) = machine.requestPermission(at: t0 + .seconds(5))
        #expect(transition?.from == .open && transition?.to == .halfOpen)
        guard case .permitted(let probe1) = first else { Issue.record("no probe"); return }
        #expect(probe1.isProbe)
        guard let probe2 = permit(&machine, at: t0 + .seconds(5)) else { Issue.record("no second probe"); return }
        #expect(machine.requestPermission(at: t0 + .seconds(5)).0 == .rejected(until: nil))
        #expect(machine.record(.success, duration: .zero, permit: probe1, at: t0 + .seconds(6)) == nil)
        #expect(machine.state == .halfOpen)
        let closed = machine.record(.success, duration: .zero, permit: probe2, at: t0 + .seconds(6))
        #expect(closed?.from == .halfOpen && closed?.to == .closed)
        #expect(machine.counts == .zero)
    }

    @Test func aFailedProbeReopensForLongerUpToTheMaximum() {
        let policy = CircuitBreakerPolicy(consecutiveFailures: 1, openDuration: .seconds(5), openDurationMultiplier: 2,
                                          maximumOpenDuration: .seconds(30), halfOpenProbes: 1)
        var machine = Machine(policy: policy, now: t0)
        var now = t0
        var durations: [Duration] = []
        durations.append(call(&machine, .failure, at: now)!.openDuration!)
        for _ in 0..<4 {
            now = now + durations.last!
            durations.append(call(&machine, .failure, at: now)!.openDuration!)
        }
        #expect(durations == [.seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(30)])
        // A successful probe closes and resets the growth.
        now = now + .seconds(30)
        #expect(call(&machine, .success, at: now)?.to == .closed)
        #expect(call(&machine, .failure, at: now)?.openDuration == .seconds(5))
    }

    @Test func outcomesFromAnEarlierGenerationAreIgnored() {
        var machine = Machine(policy: CircuitBreakerPolicy(consecutiveFailures: 2, openDuration: .seconds(1), halfOpenProbes: 1), now: t0)
        let slow = permit(&machine, at: t0)!
        call(&machine, .failure, at: t0)
        call(&machine, .failure, at: t0)
        #expect(machine.state == .open)
        // The slow call from the closed era finishes while open, then while half-open: no effect.
        #expect(machine.record(.success, duration: .zero, permit: slow, at: t0) == nil)
        let probe = permit(&machine, at: t0 + .seconds(1))!
        #expect(machine.record(.success, duration: .zero, permit: slow, at: t0 + .seconds(1)) == nil)
        #expect(machine.state == .halfOpen)
        // An ignored probe frees its slot without deciding anything.
        #expect(machine.record(.ignored, duration: .zero, permit: probe, at: t0 + .seconds(1)) == nil)
        #expect(machine.state == .halfOpen)
        #expect(call(&machine, .success, at: t0 + .seconds(1))?.to == .closed)
    }

    @Test func operatorsCanForceTheBreaker() {
        var machine = Machine(policy: CircuitBreakerPolicy(), now: t0)
        #expect(machine.force(open: .seconds(60), at: t0)?.to == .open)
        #expect(machine.requestPermission(at: t0 + .seconds(59)).0 == .rejected(until: t0 + .seconds(60)))
        #expect(machine.force(open: nil, at: t0 + .seconds(1))?.to == .closed)
        #expect(machine.force(open: nil, at: t0 + .seconds(1)) == nil)
        #expect(permit(&machine, at: t0 + .seconds(1)) != nil)
        var idle = machine
        #expect(idle.isIdle(at: t0 + .seconds(100)) == true)
    }
}
