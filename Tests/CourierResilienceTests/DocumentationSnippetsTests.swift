import CourierCore
import Testing
import Courier
import CourierResilience
import CourierTestSupport

/// The snippets of Docs/resilience.md, copied verbatim (plus a mock transport where they send requests), so
/// that the document shows only real API. Keep them in step with the document.
@Suite struct DocumentationSnippetsTests {
    func oneLine() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.enableResilience()          // the standard pipeline, production defaults
        let client = HTTPClient(configuration: configuration)
        return client
    }

    func tunedPipeline() -> HTTPClient.Configuration {
        var options = ResiliencePipeline.Options()
        options.attemptTimeout = .seconds(2)
        options.totalTimeout = .seconds(8)
        options.retry = RetryPolicy(maximumAttempts: 4, backoff: .exponential(base: .milliseconds(100), cap: .seconds(2)))
        options.circuitBreaker = nil                      // no breaker
        options.concurrencyLimiter = ConcurrencyLimiter(limit: 64, maximumQueueLength: 1000)
        var configuration = HTTPClient.Configuration()
        configuration.enableResilience(options)
        return configuration
    }

    func flakyAPI(transport: HTTPClient.Transport) async throws -> HTTPClient {
        let budget = RetryBudget(policy: RetryBudgetPolicy(ratio: 0.1, minimumRetriesPerSecond: 5))
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [
            DeadlineMiddleware(.seconds(10)),
            RetryMiddleware(policy: RetryPolicy(maximumAttempts: 3, backoff: .exponential(base: .milliseconds(200))),
                            budget: budget),
            CircuitBreaker(policy: CircuitBreakerPolicy(failureRateThreshold: 0.5, consecutiveFailures: 10,
                                                        minimumThroughput: 20, openDuration: .seconds(10))),
            AttemptTimeoutMiddleware(.seconds(3)),
        ]
        configuration.transport = transport   // (not in the document)
        let client = HTTPClient(configuration: configuration)
        do {
            let response = try await client.get("https://partner.example/v1/quotes")
            print(try await response.body.string(upTo: 1 << 20))
        } catch where error.code == .circuitOpen {
            // Fail fast: serve a cached answer, or tell the caller to come back later.
        } catch {
            if let record = error.retriesExhausted { print("gave up after \(record.attempts) attempts: \(record.reason)") }
            throw error
        }
        return client
    }

    func idempotentPost(_ client: HTTPClient) async throws -> HTTPClientResponse {
        var request = try HTTPClient.request(.post, "https://partner.example/v1/orders")
        request.headerFields[RetryPolicy.idempotencyKey] = "order-7f3a"
        let response = try await client.execute(request, body: .string(#"{"sku":"A1","quantity":2}"#))
        return response
    }

    func quota() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [
            RateLimiter(rate: 10, burst: 20, maximumWait: .seconds(30), adaptive: AdaptiveRatePolicy(),
                        partition: .custom { request in request.head.headerFields[.authorization] ?? "anonymous" }),
            RetryMiddleware(),
        ]
        return configuration
    }

    func quotaInThePipeline() -> HTTPClient.Configuration {
        var options = ResiliencePipeline.Options()
        options.rateLimiter = RateLimiter(rate: 10, burst: 20, adaptive: AdaptiveRatePolicy())
        var configuration = HTTPClient.Configuration()
        configuration.enableResilience(options)
        return configuration
    }

    func scraper() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [
            RateLimiter(rate: 2, burst: 4),
            ConcurrencyLimiter(limit: 200, maximumQueueLength: 1000, maximumWait: .seconds(60)),
        ]
        return configuration
    }

    func hedging() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [
            DeadlineMiddleware(.seconds(2)),
            HedgingMiddleware(policy: HedgingPolicy(maximumAttempts: 2,
                                                    delay: .percentile(0.95, minimum: .milliseconds(20), fallback: .milliseconds(200))),
                              budget: RetryBudget(policy: RetryBudgetPolicy(ratio: 0.05))),
        ]
        return configuration
    }

    func observed() -> HTTPClient.Configuration {
        let telemetry = ResilienceTelemetry(metricsPrefix: "payments_client", dimensions: [("service", "payments")]) { event in
            if case .retryScheduled(let attempt, let delay, let reason) = event.kind {
                print("retry \(attempt) in \(delay) because of \(reason): \(event)")
            }
        }
        var options = ResiliencePipeline.Options(telemetry: telemetry)
        options.retryBudget = RetryBudgetPolicy(ratio: 0.1)
        var configuration = HTTPClient.Configuration()
        configuration.enableResilience(options)
        return configuration
    }

    @Test func theConfigurationsBuild() async throws {
        await oneLine().shutdown()
        #expect(tunedPipeline().middleware.count == 1)
        #expect(quota().middleware.count == 2)
        #expect(quotaInThePipeline().middleware.count == 1)
        #expect(scraper().middleware.count == 2)
        #expect(hedging().middleware.count == 2)
        #expect(observed().middleware.count == 1)
    }

    @Test func theFlakyAPIRecipeRetriesAndPostsWithAKey() async throws {
        let seen = Locked<[HTTPRequest]>([])
        let client = try await withTimeout {
            try await flakyAPI(transport: .mock { request in
                let count = seen.withLock { $0.append(request.head); return $0.count }
                return HTTPClientResponse(head: HTTPResponse(status: count == 1 || count == 3 ? .serviceUnavailable : .ok))
            })
        }
        let response = try await withTimeout { try await idempotentPost(client) }
        #expect(response.status == .ok)
        let methods = seen.withLock { $0.map(\.method) }
        #expect(methods == [.get, .get, .post, .post])
        await client.shutdown()
    }
}
