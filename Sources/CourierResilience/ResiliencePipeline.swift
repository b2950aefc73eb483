import Courier

/// A ready-made resilience stack, in the order that makes each piece see what it should (Polly's standard
/// resilience handler, adapted):
///
///     rate limiter → total deadline → retry (with budget) → circuit breaker → concurrency limiter
///       → attempt timeout → [rate limiter feedback] → the client's executor
///
/// - The rate limiter is outermost: one token per request, whatever its attempts. By default it has no rate
///   of its own and only follows the servers: a 429 slows its origin down, a `Retry-After` or exhausted
///   `RateLimit-Remaining` holds the origin's requests (it learns from every attempt, through its feedback
///   middleware at the bottom).
/// - The total deadline bounds a request, retries and waits included, to its response head.
/// - Retries are limited by the policy and by a per-origin retry budget (20% of recent requests plus 10 a
///   second), and never happen once a response was handed over (its body streaming).
/// - The circuit breaker counts each attempt and fails fast (`circuitOpen`) while an origin keeps failing;
///   the retry policy does not retry that.
/// - The optional concurrency limiter (off by default) takes a slot per attempt, so retries feel it too.
/// - The attempt timeout bounds each attempt; the retry policy retries it.
public enum ResiliencePipeline {
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

    /// The standard pipeline with `options`, outermost first: assign it to (or append it to)
    /// `HTTPClient.Configuration.middleware`.
    public static func standard(_ options: Options = Options()) -> [any HTTPClientMiddleware] {
        var middleware: [any HTTPClientMiddleware] = []
        if let limiter = options.rateLimiter { middleware.append(limiter) }
        if let total = options.totalTimeout {
            middleware.append(DeadlineMiddleware(total, clock: options.clock, telemetry: options.telemetry))
        }
        if let retry = options.retry, retry.maximumAttempts > 1 {
            middleware.append(RetryMiddleware(policy: retry, budget: options.retryBudget.map { RetryBudget(policy: $0) },
                                              clock: options.clock, random: options.random, telemetry: options.telemetry))
        }
        if let breaker = options.circuitBreaker {
            middleware.append(CircuitBreaker(policy: breaker, failures: options.circuitBreakerFailures,
                                             clock: options.clock, telemetry: options.telemetry))
        }
        if let limiter = options.concurrencyLimiter { middleware.append(limiter) }
        if let attempt = options.attemptTimeout {
            middleware.append(AttemptTimeoutMiddleware(attempt, clock: options.clock, telemetry: options.telemetry))
        }
        if let limiter = options.rateLimiter, limiter.adaptive != nil { middleware.append(limiter.attemptFeedback()) }
        return middleware
    }
}

extension HTTPClient.Configuration {
    /// Adds the standard resilience pipeline (see `ResiliencePipeline`) after any middleware already set:
    /// `configuration.enableResilience()` is all it takes.
    public mutating func enableResilience(_ options: ResiliencePipeline.Options = ResiliencePipeline.Options()) {
        middleware += ResiliencePipeline.standard(options)
    }
}
