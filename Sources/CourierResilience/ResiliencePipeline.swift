import Courier
import CourierCore

/// A ready-made resilience stack, in the order that makes each piece see what it should (Polly's standard
/// resilience handler, adapted):
///
///     rate limiter → total deadline → retry (with budget) → circuit breaker → concurrency limiter
///       → attempt timeout → [rate limiter feedback] → the client's executor
///
/// - The rate limiter is outermost: one token per request, whatever its attempts. By default it has no rate
///   of its own and only follows the servers: a 429 slows its origin down, a `Retry-After` or exhausted
///   `RateLimit-Remaining` holds the origin's requests (it learns from every attempt, through its feedback
///   stage at the bottom).
/// - The total deadline bounds a request, retries and waits included, to its response head.
/// - Retries are limited by the policy and by a per-origin retry budget (20% of recent requests plus 10 a
///   second), and never happen once a response was handed over (its body streaming).
/// - The circuit breaker counts each attempt and fails fast (`circuitOpen`) while an origin keeps failing;
///   the retry policy does not retry that.
/// - The optional concurrency limiter (off by default) takes a slot per attempt, so retries feel it too.
/// - The attempt timeout bounds each attempt; the retry policy retries it.
///
/// The pipeline is one middleware whose stages call each other directly: a request with nothing to wait for
/// reads the clock twice and takes a few uncontended locks, with no allocation per stage.
public struct ResiliencePipeline: HTTPClientMiddleware {
    /// The pieces of the standard pipeline and their settings; nil leaves a piece out.
    public struct Options: Sendable {
        /// The outermost rate limiter. Default: adaptive, per origin, no rate of its own, waits up to 10 s.
        public var rateLimiter: RateLimiter?
        /// The whole request's limit to its response head. Default 30 s.
        public var totalTimeout: Duration?
        /// When to retry. Default: 3 attempts, exponential backoff with full jitter from 500 ms.
        public var retry: RetryPolicy?
        /// The retry budget per origin. Default: 20% of requests plus 10 retries a second over 10 s.
        public var retryBudget: RetryBudgetPolicy?
        /// The circuit breaker per origin. Default: opens at 50% failures over 30 s (at least 20 calls),
        /// for 5 s, then 3 probes.
        public var circuitBreaker: CircuitBreakerPolicy?
        /// What the breaker counts as failures. Default: 500, 502, 503, 504, timeouts, connection errors.
        public var circuitBreakerFailures: CircuitBreakerFailures
        /// A concurrency limiter per attempt. Default: none.
        public var concurrencyLimiter: ConcurrencyLimiter?
        /// Each attempt's limit to its response head. Default 10 s.
        public var attemptTimeout: Duration?
        /// The clock (virtual in tests; it must be the system's with the network transport).
        public var clock: any ResilienceClock
        /// Where jitter comes from.
        public var random: RandomSource
        /// Where decisions are reported.
        public var telemetry: ResilienceTelemetry

        /// The defaults, on `clock`.
        public init(clock: any ResilienceClock = SystemResilienceClock(), random: RandomSource = .system,
                    telemetry: ResilienceTelemetry = .standard) {
            self.clock = clock
            self.random = random
            self.telemetry = telemetry
            rateLimiter = .adaptive(clock: clock, telemetry: telemetry)
            totalTimeout = .seconds(30)
            retry = RetryPolicy()
            retryBudget = RetryBudgetPolicy()
            circuitBreaker = CircuitBreakerPolicy()
            circuitBreakerFailures = CircuitBreakerFailures()
            concurrencyLimiter = nil
            attemptTimeout = .seconds(10)
        }
    }

    /// The rate limiter (outermost), if any.
    public let rateLimiter: RateLimiter?
    /// The total deadline, if any.
    public let deadline: DeadlineMiddleware?
    /// The retry middleware, if any.
    public let retry: RetryMiddleware?
    /// The circuit breaker, if any.
    public let circuitBreaker: CircuitBreaker?
    /// The concurrency limiter, if any.
    public let concurrencyLimiter: ConcurrencyLimiter?
    /// The attempt timeout, if any.
    public let attemptTimeout: AttemptTimeoutMiddleware?
    private let feedback: RateLimiterFeedback?
    private let clock: any ResilienceClock

    /// The standard pipeline with `options`.
    public init(_ options: Options = Options()) {
        clock = options.clock
        rateLimiter = options.rateLimiter
        deadline = options.totalTimeout.map { DeadlineMiddleware($0, clock: options.clock, telemetry: options.telemetry) }
        retry = options.retry.flatMap { policy in
            policy.maximumAttempts > 1
                ? RetryMiddleware(policy: policy, budget: options.retryBudget.map { RetryBudget(policy: $0) },
                                  clock: options.clock, random: options.random, telemetry: options.telemetry)
                : nil
        }
        circuitBreaker = options.circuitBreaker.map {
            CircuitBreaker(policy: $0, failures: options.circuitBreakerFailures, clock: options.clock, telemetry: options.telemetry)
        }
        concurrencyLimiter = options.concurrencyLimiter
        attemptTimeout = options.attemptTimeout.map { AttemptTimeoutMiddleware($0, clock: options.clock, telemetry: options.telemetry) }
        feedback = options.rateLimiter.flatMap { $0.adaptive != nil ? $0.attemptFeedback() : nil }
    }

    /// The standard pipeline with `options` (the same as `ResiliencePipeline(options)`).
    public static func standard(_ options: Options = Options()) -> ResiliencePipeline { ResiliencePipeline(options) }

    /// The stages present, outermost first, as separate middleware (to inspect, or to compose differently:
    /// chained as middleware they behave as the pipeline does).
    public var stages: [any HTTPClientMiddleware] {
        let all: [(any HTTPClientMiddleware)?] = [rateLimiter, deadline, retry, circuitBreaker, concurrencyLimiter, attemptTimeout, feedback]
        return all.compactMap { $0 }
    }

    /// Runs the stages in one loop: the synchronous decisions of every stage around a single await of the
    /// transport per attempt, suspending otherwise only to wait (rate limiter, concurrency queue, backoff).
    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        var now = clock.now()
        let originKey = PartitionKey.origin.key(for: request)

        // Rate limiter: one token per request.
        var rateTicket: RateLimiter.Ticket?
        var rateKey = originKey
        if let rateLimiter {
            rateKey = rateLimiter.partition.key(for: request, originKey: originKey)
            let (ticket, wait) = try rateLimiter.reserve(request, key: rateKey, at: now)
            if wait > .zero {
                let held = try await rateLimiter.hold(ticket, for: wait, key: rateKey, request: request)
                now = held.start
                rateTicket = held
            } else {
                rateTicket = ticket
            }
        }
        // Total deadline: bounds every attempt and every wait.
        var requestDeadline = request.responseHeadDeadline
        var totalDeadline: Timestamp?
        if let deadline {
            let limit = deadline.deadline(from: now)
            if requestDeadline.map({ limit < $0 }) ?? true {
                requestDeadline = limit
                totalDeadline = limit
            }
        }
        var progress = retry?.begin(request, at: now, originKey: originKey)
        let breakerKey = circuitBreaker.map { $0.partition.key(for: request, originKey: originKey) }
        let slotKey = concurrencyLimiter.map { $0.partition.key(for: request, originKey: originKey) }

        while true {
            // One attempt: breaker, concurrency limiter, attempt timeout, transport, rate limiter feedback.
            var outcome: Result<HTTPClientResponse, HTTPClientError>
            var statusCode = 0
            attempt: do {
                var breakerTicket: CircuitBreaker.Ticket?
                if let circuitBreaker, let breakerKey {
                    do throws(HTTPClientError) {
                        breakerTicket = try circuitBreaker.admit(request, key: breakerKey, at: now)
                    } catch {
                        outcome = .failure(error)
                        break attempt
                    }
                }
                var slot: ConcurrencyLimiter.Ticket?
                if let concurrencyLimiter, let slotKey {
                    slot = concurrencyLimiter.tryAcquire(key: slotKey, at: now)
                    if slot == nil {
                        do throws(HTTPClientError) {
                            let acquired = try await concurrencyLimiter.acquire(request, key: slotKey, at: now)
                            now = acquired.start
                            slot = acquired
                        } catch {
                            if let circuitBreaker, let breakerKey, let breakerTicket {
                                circuitBreaker.record(.failure(error), statusCode: 0, of: breakerTicket, key: breakerKey, request: request)
                            }
                            outcome = .failure(error)
                            break attempt
                        }
                    }
                }
                var attemptRequest = request
                attemptRequest.responseHeadDeadline = requestDeadline
                var attemptBinding = false
                if let attemptTimeout {
                    let limit = attemptTimeout.deadline(from: now)
                    if requestDeadline.map({ limit < $0 }) ?? true {
                        attemptRequest.responseHeadDeadline = limit
                        attemptBinding = true
                    }
                }
                do throws(HTTPClientError) {
                    let response = try await next(attemptRequest)
                    statusCode = response.status.code
                    if let rateTicket, let rateLimiter, rateLimiter.adaptive != nil {
                        rateLimiter.learn(from: response, statusCode: statusCode, ticket: rateTicket, key: rateKey, request: request)
                    }
                    outcome = .success(response)
                } catch {
                    outcome = .failure(attemptBinding ? attemptTimeout!.translate(error, binding: true, request: request) : error)
                }
                if let concurrencyLimiter, let slotKey, let slot {
                    concurrencyLimiter.release(slot, outcome: outcome, key: slotKey, request: request)
                }
                if let circuitBreaker, let breakerKey, let breakerTicket {
                    circuitBreaker.record(outcome, statusCode: statusCode, of: breakerTicket, key: breakerKey, request: request)
                }
            }

            if case .success(let response) = outcome, progress?.attempt ?? 1 == 1,
               retry?.isPlainlyFinal(statusCode: statusCode) ?? true {
                return response
            }
            guard let retry, progress != nil else {
                switch outcome {
                case .success(let response): return response
                case .failure(let error): throw deadline?.observe(error, deadline: totalDeadline, request: request) ?? error
                }
            }
            let step: RetryMiddleware.Step
            do throws(HTTPClientError) {
                step = try retry.judge(outcome, statusCode: statusCode, of: request, deadline: requestDeadline, progress: &progress!)
            } catch {
                throw deadline?.observe(error, deadline: totalDeadline, request: request) ?? error
            }
            switch step {
            case .finished(let response):
                return response
            case .retry(let wake):
                now = try await retry.wait(until: wake, after: outcome, of: request, progress: &progress!)
            }
        }
    }
}

extension HTTPClient.Configuration {
    /// Adds the standard resilience pipeline (see `ResiliencePipeline`) after any middleware already set:
    /// `configuration.enableResilience()` is all it takes.
    public mutating func enableResilience(_ options: ResiliencePipeline.Options = ResiliencePipeline.Options()) {
        middleware.append(ResiliencePipeline(options))
    }
}
