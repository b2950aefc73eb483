import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct CircuitBreakerTests {
    let clock = VirtualClock(autoAdvance: true)

    @Test func aFailingOriginTripsItsBreakerWhichFailsFastThenProbes() async throws {
        let metrics = TestMetrics()
        let log = EventLog()
        let breaker = CircuitBreaker(policy: CircuitBreakerPolicy(consecutiveFailures: 3, openDuration: .seconds(5), halfOpenProbes: 1),
                                     clock: clock, telemetry: log.telemetry(metrics: metrics))
        let next = ScriptedNext([.status(503), .error(HTTPClientError(.connectTimeout, "timeout")), .status(500)], then: .status(200))
        for _ in 0..<3 { _ = try? await withTimeout { try await breaker.execute(request(), next: next.next) } }
        let key = ResilienceKey(scheme: "https", authority: "api.example")
        #expect(breaker.state(for: key) == .open)
        do {
            _ = try await withTimeout { try await breaker.execute(request(), next: next.next) }
            Issue.record("an open breaker let a request through")
        } catch let error as HTTPClientError {
            #expect(error.code == .circuitOpen && error.isSafeToRetry)
            let detail = try #require(error.underlying as? CircuitOpen)
            #expect(detail.key == key && detail.retryAfter == .seconds(5))
        }
        #expect(next.count == 3)
        // Another origin is not affected.
        #expect(try await withTimeout { try await breaker.execute(request(.get, "https://other.example/"), next: next.next) }.status.code == 200)
        // After the open duration, one probe goes through and closes the breaker.
        clock.advance(by: .seconds(5))
        #expect(try await withTimeout { try await breaker.execute(request(), next: next.next) }.status.code == 200)
        #expect(breaker.state(for: key) == .closed)
        let transitions = log.kinds.filter { if case .circuitStateChanged = $0 { return true } else { return false } }
        #expect(transitions == [.circuitStateChanged(from: .closed, to: .open), .circuitStateChanged(from: .open, to: .halfOpen),
                                .circuitStateChanged(from: .halfOpen, to: .closed)])
        #expect(metrics.counter("courier_resilience_circuit_transitions_total", [("from", "closed"), ("to", "open")]) == 1)
        #expect(metrics.counter("courier_resilience_circuit_rejections_total") == 1)
    }

    @Test func onlyTheConfiguredFailuresCount() async throws {
        let breaker = CircuitBreaker(policy: CircuitBreakerPolicy(consecutiveFailures: 2), clock: clock)
        let next = ScriptedNext([.status(404), .status(429), .status(404), .error(HTTPClientError(.cancelled, "gone")),
                                 .error(HTTPClientError(.invalidRequest, "bad")), .status(501), .status(404)])
        for _ in 0..<7 { _ = try? await withTimeout { try await breaker.execute(request(), next: next.next) } }
        #expect(breaker.state(for: ResilienceKey(scheme: "https", authority: "api.example")) == .closed)

        let strict = CircuitBreaker(policy: CircuitBreakerPolicy(consecutiveFailures: 2),
                                    failures: CircuitBreakerFailures(statuses: [404], timeouts: false,
                                                                     classify: { outcome in
                                                                         if case .error(let error) = outcome, error.code == .invalidRequest { return .failure }
                                                                         return nil
                                                                     }),
                                    clock: clock)
        let timeouts = ScriptedNext([.error(HTTPClientError(.readTimeout, "slow")), .error(HTTPClientError(.readTimeout, "slow")),
                                     .status(404), .error(HTTPClientError(.invalidRequest, "bad"))])
        for _ in 0..<3 { _ = try? await withTimeout { try await strict.execute(request(), next: timeouts.next) } }
        #expect(strict.state(for: ResilienceKey(scheme: "https", authority: "api.example")) == .closed)
        _ = try? await withTimeout { try await strict.execute(request(), next: timeouts.next) }
        #expect(strict.state(for: ResilienceKey(scheme: "https", authority: "api.example")) == .open)
    }

    @Test func slowCallsAreMeasuredOnTheClock() async throws {
        let manual = VirtualClock()
        let breaker = CircuitBreaker(policy: CircuitBreakerPolicy(failureRateThreshold: nil, slowCallRateThreshold: 1,
                                                                  slowCallDuration: .seconds(1), minimumThroughput: 2),
                                     partition: .global, clock: manual)
        let gate = GatedNext()
        for _ in 0..<2 {
            let task = Task { try await breaker.execute(request(), next: gate.next) }
            try await waitUntil("the attempt") { gate.waiting == 1 }
            manual.advance(by: .seconds(2))
            gate.answerOldest(200)
            _ = try await withTimeout { try await task.value }
        }
        #expect(breaker.state(for: .global) == .open)
    }

    @Test func operatorsCanForceABreakerOpenAndClosed() async throws {
        let breaker = CircuitBreaker(clock: clock)
        let key = ResilienceKey(scheme: "https", authority: "api.example")
        breaker.force(key, open: .seconds(600))
        let next = ScriptedNext([])
        await #expect(throws: HTTPClientError.self) { try await breaker.execute(request(), next: next.next) }
        breaker.force(key, open: nil)
        #expect(try await withTimeout { try await breaker.execute(request(), next: next.next) }.status.code == 200)
        #expect(next.count == 1)
    }
}
