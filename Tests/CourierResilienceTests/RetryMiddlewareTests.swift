import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct RetryMiddlewareTests {
    let clock = VirtualClock(autoAdvance: true)

    private func retry(_ policy: RetryPolicy = RetryPolicy(), budget: RetryBudget? = nil,
                       telemetry: ResilienceTelemetry = .standard) -> RetryMiddleware {
        RetryMiddleware(policy: policy, budget: budget, clock: clock, random: .seeded(1), telemetry: telemetry)
    }

    private func fields(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    @Test func transientStatusesAreRetriedUpToTheMaximumAndTheLastResponseIsReturned() async throws {
        let next = ScriptedNext([.status(503), .status(502), .status(504), .status(200)])
        let response = try await withTimeout { try await retry().execute(request(), next: next.next) }
        #expect(response.status.code == 504)
        #expect(next.count == 3)
        // Exponential full jitter from 500 ms: within 0...500 ms, then 0...1 s.
        #expect(clock.sleeps.count == 2)
        #expect(clock.sleeps[0] <= .milliseconds(500) && clock.sleeps[1] <= .seconds(1))
    }

    @Test func aRequestThatRecoversSucceeds() async throws {
        let next = ScriptedNext([.status(500), .error(HTTPClientError(.connectionClosed, "reset")), .status(200)])
        let response = try await withTimeout {
            try await retry(RetryPolicy(maximumAttempts: 5)).execute(request(), next: next.next)
        }
        #expect(response.status.code == 200 && next.count == 3)
    }

    @Test func retryAfterWinsOverTheBackoff() async throws {
        let next = ScriptedNext([.status(503, fields([("Retry-After", "7")])), .status(200)])
        _ = try await withTimeout {
            try await retry(RetryPolicy(backoff: .constant(.milliseconds(100)))).execute(request(), next: next.next)
        }
        #expect(clock.sleeps == [.seconds(7)])
    }

    @Test func retryAfterAsAnHTTPDateAndRateLimitResetsOn429() async throws {
        // The virtual wall clock starts at 2027-01-15 08:00:00 UTC.
        let dated = ScriptedNext([.status(503, fields([("Retry-After", "Fri, 15 Jan 2027 08:00:12 GMT")])),
                                  .status(429, fields([("X-RateLimit-Reset", "3")])),
                                  .status(429, fields([("RateLimit", "\"default\";r=0;t=2")])), .status(200)])
        let response = try await withTimeout {
            try await retry(RetryPolicy(maximumAttempts: 4, backoff: .constant(.milliseconds(1)))).execute(request(), next: dated.next)
        }
        #expect(response.status.code == 200)
        #expect(clock.sleeps == [.seconds(12), .seconds(3), .seconds(2)])
    }

    @Test func aServerAskingForTooLongGetsItsResponseBack() async throws {
        let log = EventLog()
        let next = ScriptedNext([.status(503, fields([("Retry-After", "3600")]))])
        let response = try await withTimeout {
            try await retry(RetryPolicy(maximumServerDelay: .seconds(60)), telemetry: log.telemetry()).execute(request(), next: next.next)
        }
        #expect(response.status.code == 503 && next.count == 1 && clock.sleeps.isEmpty)
        #expect(log.kinds.contains(.retriesExhausted(attempts: 1, reason: .serverDelayTooLong)))
        // With honorsServerDelay off, the backoff is used instead.
        let ignoring = ScriptedNext([.status(503, fields([("Retry-After", "3600")]))])
        _ = try await withTimeout {
            try await retry(RetryPolicy(maximumAttempts: 2, backoff: .constant(.seconds(1)), honorsServerDelay: false))
                .execute(request(), next: ignoring.next)
        }
        #expect(ignoring.count == 2 && clock.sleeps == [.seconds(1)])
    }

    @Test func nonIdempotentRequestsAreRetriedOnlyWhenThatIsSafe() async throws {
        let policy = RetryPolicy(backoff: .constant(.milliseconds(1)))
        func attempts(_ request: HTTPClientRequest, _ steps: [ScriptedNext.Step], policy: RetryPolicy = policy) async throws -> Int {
            let next = ScriptedNext(steps)
            _ = try? await withTimeout { try await retry(policy).execute(request, next: next.next) }
            return next.count
        }
        let post = request(.post, body: .string("order"))
        #expect(try await attempts(post, [.status(503), .status(200)]) == 1)
        #expect(try await attempts(post, [.error(HTTPClientError(.connectionClosed, "reset after sending"))]) == 1)
        // The server never saw it: safe for any method.
        #expect(try await attempts(post, [.error(HTTPClientError(.connectFailed, "refused", isSafeToRetry: true)), .status(200)]) == 2)
        var keyed = post
        keyed.head.headerFields[RetryPolicy.idempotencyKey] = "8e03978e-40d5-43e8-bc93-6894a57f9324"
        #expect(try await attempts(keyed, [.status(503), .status(200)]) == 2)
        var optedIn = post
        optedIn.options.retryableDespiteMethod = true
        #expect(try await attempts(optedIn, [.status(503), .status(200)]) == 2)
        var everything = policy
        everything.retriesNonIdempotentRequests = true
        #expect(try await attempts(post, [.status(503), .status(200)], policy: everything) == 2)
        #expect(try await attempts(request(.put, body: .string("x")), [.status(503), .status(200)]) == 2)
        #expect(try await attempts(request(.patch), [.status(503), .status(200)]) == 1)
    }

    @Test func unreplayableBodiesAreNotRetried() async throws {
        let chunks = AsyncStream<ByteBuffer> { $0.finish() }
        let streamed = request(.put, body: .stream(chunks))
        let next = ScriptedNext([.status(503), .status(200)])
        let response = try await withTimeout { try await retry().execute(streamed, next: next.next) }
        #expect(response.status.code == 503 && next.count == 1)
        let replayable = request(.put, body: .stream(length: 0) { AsyncStream<ByteBuffer> { $0.finish() } })
        let again = ScriptedNext([.status(503), .status(200)])
        #expect(try await withTimeout { try await retry().execute(replayable, next: again.next) }.status.code == 200)
    }

    @Test func permanentFailuresPassThroughUnchanged() async throws {
        let notFound = ScriptedNext([.status(404)])
        #expect(try await withTimeout { try await retry().execute(request(), next: notFound.next) }.status.code == 404)
        for code in [HTTPClientError.Code.tlsFailed, .invalidRequest, .cancelled, .circuitOpen, .protocolViolation, .deadlineExceeded] {
            let next = ScriptedNext([.error(HTTPClientError(code, "no"))])
            do {
                _ = try await withTimeout { try await retry().execute(request(), next: next.next) }
                Issue.record("\(code) did not fail")
            } catch let error as HTTPClientError {
                #expect(error.code == code && error.retriesExhausted == nil && next.count == 1)
            }
        }
    }

    @Test func exhaustedErrorsKeepTheLastErrorAndCountTheAttempts() async throws {
        let next = ScriptedNext([], then: .error(HTTPClientError(.connectTimeout, "no answer to SYN")))
        do {
            _ = try await withTimeout { try await retry(RetryPolicy(maximumAttempts: 4)).execute(request(), next: next.next) }
            Issue.record("no error")
        } catch let error as HTTPClientError {
            #expect(error.code == .connectTimeout && error.isConnectError)
            let record = try #require(error.retriesExhausted)
            #expect(record.attempts == 4 && record.reason == .maximumAttempts && record.lastError.message == "no answer to SYN")
        }
        #expect(next.count == 4)
    }

    @Test func theBudgetCapsRetriesAcrossRequests() async throws {
        let metrics = TestMetrics()
        let log = EventLog()
        let budget = RetryBudget(policy: RetryBudgetPolicy(ratio: 0.1, minimumRetriesPerSecond: 0.2, window: .seconds(10)))
        let middleware = retry(RetryPolicy(maximumAttempts: 5, backoff: .constant(.milliseconds(1))), budget: budget,
                               telemetry: log.telemetry(metrics: metrics))
        let next = ScriptedNext([], then: .status(503))
        for _ in 0..<100 {
            _ = try await withTimeout { try await middleware.execute(request(), next: next.next) }
        }
        // 100 requests, each wanting 4 retries: 10% of 100 plus the floor of 2.
        #expect(next.count == 100 + 12)
        let key = ResilienceKey(scheme: "https", authority: "api.example")
        #expect(budget.counts(for: key, at: clock.now()) == RetryBudgetLedger.Counts(requests: 100, retries: 12))
        #expect(metrics.counter("courier_resilience_retry_budget_exhausted_total") == 100)
        #expect(metrics.counter("courier_resilience_retries_total", [("reason", "status_503")]) == 12)
        #expect(metrics.counter("courier_resilience_attempts_total") == 112)
        #expect(metrics.counter("courier_resilience_retries_exhausted_total", [("reason", "budget")]) == 100)
        // Another origin has its own budget.
        _ = try await withTimeout { try await middleware.execute(request(.get, "https://other.example/"), next: next.next) }
        #expect(next.count == 100 + 12 + 3)
    }

    @Test func retriesStopBeforeWaitingPastTheDeadlineOrTheElapsedLimit() async throws {
        let next = ScriptedNext([], then: .error(HTTPClientError(.connectionClosed, "reset")))
        var lateRequest = request()
        lateRequest.responseHeadDeadline = clock.now() + .milliseconds(1500)
        let late = lateRequest
        do {
            _ = try await withTimeout {
                try await retry(RetryPolicy(maximumAttempts: 10, backoff: .constant(.seconds(1)))).execute(late, next: next.next)
            }
        } catch let error as HTTPClientError {
            #expect(error.retriesExhausted?.reason == .deadline && error.retriesExhausted?.attempts == 2)
        }
        let elapsed = ScriptedNext([], then: .status(503))
        let response = try await withTimeout {
            try await retry(RetryPolicy(maximumAttempts: 10, maximumElapsedTime: .seconds(3), backoff: .constant(.seconds(1))))
                .execute(request(), next: elapsed.next)
        }
        #expect(response.status.code == 503 && elapsed.count == 4)
    }

    @Test func cancellingWhileWaitingToRetryEndsTheRequest() async throws {
        let manual = VirtualClock()
        let middleware = RetryMiddleware(policy: RetryPolicy(backoff: .constant(.seconds(30))), budget: nil, clock: manual)
        let next = ScriptedNext([.status(503)])
        let task = Task { try await middleware.execute(request(), next: next.next) }
        try await manual.waitForSleepers(1)
        task.cancel()
        do {
            _ = try await withTimeout { try await task.value }
            Issue.record("not cancelled")
        } catch let error as HTTPClientError {
            #expect(error.code == .cancelled)
        }
        #expect(next.count == 1)
    }

    @Test func attemptTimeoutsAreRetriedButTheTotalDeadlineIsNot() async throws {
        let log = EventLog()
        let telemetry = log.telemetry()
        let stack = chain([DeadlineMiddleware(.seconds(5), clock: clock, telemetry: telemetry),
                           retry(RetryPolicy(maximumAttempts: 10, backoff: .constant(.milliseconds(100))), telemetry: telemetry),
                           AttemptTimeoutMiddleware(.seconds(2), clock: clock, telemetry: telemetry)],
                          ScriptedNext([], then: .stall, clock: clock).next)
        let start = clock.now()
        do {
            _ = try await withTimeout { try await stack(request()) }
            Issue.record("no timeout")
        } catch let error as HTTPClientError {
            #expect(error.code == .deadlineExceeded)
            #expect(error.retriesExhausted?.attempts == 3 && error.retriesExhausted?.reason == .deadline)
        }
        // 0 → 2 s (attempt timeout), 2.1 → 4.1 s (attempt timeout), 4.2 → 5 s (the deadline).
        #expect(clock.now() == start + .seconds(5))
        let timeouts = log.kinds.filter { if case .timedOut = $0 { return true } else { return false } }
        #expect(timeouts == [.timedOut(.attempt, after: .seconds(2)), .timedOut(.attempt, after: .seconds(2)),
                             .timedOut(.total, after: .seconds(5))])
    }
}
