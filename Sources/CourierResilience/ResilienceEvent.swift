import Courier
import CourierCore

/// A decision a resilience middleware made, for observers (logs, traces, tests). The same decisions are
/// counted in swift-metrics (see `ResilienceTelemetry`).
public struct ResilienceEvent: Sendable, CustomStringConvertible {
    /// What was decided.
    public enum Kind: Sendable, Hashable {
        /// Attempt `attempt` (1 for the first) of a request is being sent.
        case attemptStarted(attempt: Int)
        /// Attempt `attempt` failed for `reason`; the next is sent after `delay`.
        case retryScheduled(attempt: Int, delay: Duration, reason: RetryReason)
        /// Retrying stopped after `attempts` attempts, for `reason`; the last outcome goes to the caller.
        case retriesExhausted(attempts: Int, reason: RetriesExhausted.Reason)
        /// A retry was refused because the retry budget was spent.
        case retryBudgetExhausted
        /// A circuit breaker changed state.
        case circuitStateChanged(from: CircuitBreakerMachine.State, to: CircuitBreakerMachine.State)
        /// An open circuit breaker failed a request fast.
        case circuitRejected
        /// The rate limiter held a request this long.
        case rateLimiterWaited(Duration)
        /// The rate limiter refused a request whose wait would have been `wait`.
        case rateLimiterRejected(wait: Duration)
        /// An adaptive rate limiter followed the server: new rate (nil: unlimited) and a hold, if any.
        case rateLimitAdjusted(rate: Double?, hold: Duration?)
        /// The concurrency limiter queued a request.
        case concurrencyQueued(queueLength: Int)
        /// A queued request got its slot after waiting this long.
        case concurrencyWaited(Duration)
        /// The concurrency limiter refused a request (queue full or waited too long).
        case concurrencyRejected
        /// An adaptive concurrency limit moved.
        case concurrencyLimitChanged(limit: Int)
        /// Hedged attempt `attempt` (2 for the first hedge) was sent.
        case hedgeStarted(attempt: Int)
        /// Attempt `attempt` of a hedged request won; the others were cancelled.
        case hedgeWon(attempt: Int)
        /// A timeout fired.
        case timedOut(TimeoutScope, after: Duration)
    }

    /// What was decided.
    public let kind: Kind
    /// The key of the per-key state involved (breaker, bucket, budget), if any.
    public let key: ResilienceKey?
    /// The request concerned (nil for an operator's action, such as forcing a breaker open).
    public let request: HTTPRequest?
    /// When, on the middleware's clock.
    public let time: Timestamp

    /// Creates an event.
    public init(kind: Kind, key: ResilienceKey?, request: HTTPRequest?, time: Timestamp) {
        self.kind = kind
        self.key = key
        self.request = request
        self.time = time
    }

    public var description: String {
        var text = "\(kind)"
        if let request {
            text += " \(request.method) \(request.scheme ?? "")://\(request.authority ?? "")\(request.path ?? "")"
        }
        if let key { text += " [\(key)]" }
        return text
    }
}

/// Which timeout fired.
public enum TimeoutScope: String, Sendable, Hashable, CustomStringConvertible {
    /// One attempt's timeout (`AttemptTimeoutMiddleware`).
    case attempt
    /// The whole request's deadline across attempts (`DeadlineMiddleware`).
    case total

    public var description: String { rawValue }
}

/// Why a request was retried: a status, an error, or an attempt's timeout.
public enum RetryReason: Sendable, Hashable, CustomStringConvertible {
    /// The response had this status.
    case status(Int)
    /// The attempt failed with this error code.
    case error(HTTPClientError.Code)
    /// The attempt's own timeout fired.
    case attemptTimeout

    /// A stable name for logs and metric dimensions: `status_503`, `connectFailed`, `attemptTimeout`.
    public var description: String {
        switch self {
        case .status(let code): "status_\(code)"
        case .error(let code): code.description
        case .attemptTimeout: "attemptTimeout"
        }
    }
}
