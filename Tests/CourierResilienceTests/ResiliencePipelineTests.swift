import Testing
import Courier
import CourierCore
import CourierResilience
import CourierTestSupport

@Suite struct ResiliencePipelineTests {
    private func options(_ clock: VirtualClock, _ telemetry: ResilienceTelemetry = .standard) -> ResiliencePipeline.Options {
        ResiliencePipeline.Options(clock: clock, random: .seeded(5), telemetry: telemetry)
    }

    @Test func oneLineTurnsTheStandardPipelineOn() async throws {
        let clock = VirtualClock(autoAdvance: true)
        let seen = Locked<[HTTPClientRequest]>([])
        var configuration = HTTPClient.Configuration()
        configuration.enableResilience(options(clock))
        configuration.transport = .mock { request in
            let attempt = seen.withLock { $0.append(request); return $0.count }
            return HTTPClientResponse(head: HTTPResponse(status: attempt == 1 ? .serviceUnavailable : .ok))
        }
        #expect(configuration.middleware.count == 1)
        let pipeline = try #require(configuration.middleware.first as? ResiliencePipeline)
        let kinds = pipeline.stages.map { String(describing: type(of: $0)) }
        #expect(kinds == ["RateLimiter", "DeadlineMiddleware", "RetryMiddleware", "CircuitBreaker", "AttemptTimeoutMiddleware",
                          "RateLimiterFeedback"])
        let client = HTTPClient(configuration: configuration)
        let start = clock.now()
        let response = try await withTimeout { try await client.get("https://api.example/items") }
        #expect(response.status == .ok)
        let attempts = seen.withLock { $0 }
        #expect(attempts.count == 2)
        // The first attempt is bounded by the 10 s attempt timeout, inside the 30 s total deadline.
        #expect(attempts[0].responseHeadDeadline == start + .seconds(10))
        #expect(attempts[1].responseHeadDeadline! <= start + .seconds(30))
    }

    @Test func aDeadOriginTripsTheBreakerAndFailsFastWithoutRetryStorms() async throws {
        let clock = VirtualClock(autoAdvance: true)
        let metrics = TestMetrics()
        let log = EventLog()
        var settings = options(clock, log.telemetry(metrics: metrics))
        settings.circuitBreaker = CircuitBreakerPolicy(minimumThroughput: 10, openDuration: .seconds(30))
        let dead = ScriptedNext([], then: .error(HTTPClientError(.connectFailed, "refused", isSafeToRetry: true)))
        let stack = chain([ResiliencePipeline(settings)], dead.next)
        var codes: [HTTPClientError.Code] = []
        for _ in 0..<50 {
            do {
                _ = try await withTimeout { try await stack(request()) }
            } catch let error as HTTPClientError {
                codes.append(error.code)
            }
        }
        #expect(codes.count == 50)
        // Ten attempts trip the breaker; after it, requests fail fast and are not retried.
        #expect(dead.count == 10)
        #expect(metrics.counter("courier_resilience_circuit_rejections_total") >= 40)
        #expect(codes.filter { $0 == .circuitOpen }.count >= 45)
        #expect(metrics.counter("courier_resilience_circuit_transitions_total", [("from", "closed"), ("to", "open")]) == 1)
    }

    @Test func piecesCanBeLeftOutOrReplaced() async throws {
        let clock = VirtualClock(autoAdvance: true)
        var settings = options(clock)
        settings.rateLimiter = nil
        settings.circuitBreaker = nil
        settings.totalTimeout = nil
        settings.concurrencyLimiter = ConcurrencyLimiter(limit: 4, clock: clock)
        settings.retry = RetryPolicy(maximumAttempts: 2)
        let pipeline = ResiliencePipeline.standard(settings)
        #expect(pipeline.stages.map { String(describing: type(of: $0)) } == ["RetryMiddleware", "ConcurrencyLimiter", "AttemptTimeoutMiddleware"])
        let next = ScriptedNext([.status(502)])
        #expect(try await withTimeout { try await chain([pipeline], next.next)(request()) }.status.code == 200)
        #expect(next.count == 2)
        // The stages work alone as well, chained as separate middleware.
        let separate = ScriptedNext([.status(502)])
        #expect(try await withTimeout { try await chain(pipeline.stages, separate.next)(request()) }.status.code == 200)
        #expect(separate.count == 2)
    }

    @Test func theCommandLineRetryConstructorRetriesIdempotentRequests() async throws {
        let middleware = RetryMiddleware(retries: 2)
        #expect(middleware.policy.maximumAttempts == 3 && middleware.budget == nil)
        #expect(RetryMiddleware(retries: 0).policy.maximumAttempts == 1)
    }

    @Test func theObserverSeesEveryDecisionInOrder() async throws {
        let clock = VirtualClock(autoAdvance: true)
        let log = EventLog()
        let stack = chain([ResiliencePipeline.standard(options(clock, log.telemetry()))],
                          ScriptedNext([.status(503), .error(HTTPClientError(.connectionClosed, "reset"))]).next)
        _ = try await withTimeout { try await stack(request()) }
        let kinds = log.kinds.map { kind -> String in
            switch kind {
            case .attemptStarted(let attempt): "attempt \(attempt)"
            case .retryScheduled(let attempt, _, let reason): "retry after \(attempt): \(reason)"
            default: "\(kind)"
            }
        }
        #expect(kinds == ["attempt 1", "retry after 1: status_503", "attempt 2", "retry after 2: connectionClosed", "attempt 3"])
        #expect(log.all.allSatisfy { $0.request?.authority == "api.example" })
        #expect(log.all.first?.description.hasPrefix("attemptStarted(attempt: 1) GET https://api.example/items") == true)
    }
}
