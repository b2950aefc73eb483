import Courier

/// The outcome of one attempt, as a retry policy judges it.
public enum AttemptOutcome: Sendable {
    /// A response head arrived with this status and fields.
    case response(HTTPResponse)
    /// The attempt failed.
    case error(HTTPClientError)
}

/// When and how often to retry a request.
///
/// A failed attempt is retried when all of these hold:
/// - the outcome is transient: a status in `retryableStatuses` (408, 429, 500, 502, 503, 504), an error code
///   in `retryableErrors` (connection failures, resets, read/write timeouts), or the attempt's own timeout —
///   or what `isTransient` says, if set;
/// - repeating the request cannot duplicate an effect: the method is idempotent, or the request carries an
///   `Idempotency-Key`, or its options say `retryableDespiteMethod`, or `retriesNonIdempotentRequests` is
///   set, or the error proves the server never processed it (`isSafeToRetry`);
/// - its body can be sent again (bytes, a file, a stream factory);
/// - attempts, elapsed time, the request's deadline and the retry budget allow it.
///
/// The wait is the server's `Retry-After` (or, on a 429, its rate-limit reset) when `honorsServerDelay`,
/// else the backoff. A server asking for more than `maximumServerDelay` gets its response returned instead.
public struct RetryPolicy: Sendable {
    /// Attempts at most, the first included (1: no retries). Default 3.
    public var maximumAttempts: Int
    /// No retry starts later than this after the first attempt did (nil: no limit; a deadline still applies).
    public var maximumElapsedTime: Duration?
    /// The wait before each retry. Default: exponential from 500 ms, full jitter, capped at 10 s.
    public var backoff: Backoff
    /// Statuses worth retrying. Default 408, 429, 500, 502, 503, 504.
    public var retryableStatuses: Set<Int>
    /// Error codes worth retrying. Default: connect failures and timeouts, TLS handshake timeouts, closed
    /// connections, stream resets, read and write timeouts.
    public var retryableErrors: Set<HTTPClientError.Code>
    /// Replaces the status and error tests above when set (the method, body and limit rules still apply).
    public var isTransient: (@Sendable (AttemptOutcome) -> Bool)?
    /// Retry POST, PATCH and other non-idempotent requests too. Default false.
    public var retriesNonIdempotentRequests: Bool
    /// Wait as long as the server's `Retry-After` (or 429 rate-limit reset) asks. Default true.
    public var honorsServerDelay: Bool
    /// The longest server-requested wait accepted; a longer one ends retrying. Default 60 s.
    public var maximumServerDelay: Duration

    /// A policy; the defaults make three attempts of idempotent requests on transient failures.
    public init(maximumAttempts: Int = 3, maximumElapsedTime: Duration? = nil, backoff: Backoff = .default,
                retryableStatuses: Set<Int> = RetryPolicy.defaultRetryableStatuses,
                retryableErrors: Set<HTTPClientError.Code> = RetryPolicy.defaultRetryableErrors,
                isTransient: (@Sendable (AttemptOutcome) -> Bool)? = nil,
                retriesNonIdempotentRequests: Bool = false, honorsServerDelay: Bool = true,
                maximumServerDelay: Duration = .seconds(60)) {
        precondition(maximumAttempts >= 1, "a request needs at least one attempt")
        self.maximumAttempts = maximumAttempts
        self.maximumElapsedTime = maximumElapsedTime
        self.backoff = backoff
        self.retryableStatuses = retryableStatuses
        self.retryableErrors = retryableErrors
        self.isTransient = isTransient
        self.retriesNonIdempotentRequests = retriesNonIdempotentRequests
        self.honorsServerDelay = honorsServerDelay
        self.maximumServerDelay = maximumServerDelay
    }

    /// 408 Request Timeout, 429 Too Many Requests, 500, 502, 503, 504.
    public static let defaultRetryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    /// Failures to connect or to keep the exchange going, which a later attempt may not meet.
    public static let defaultRetryableErrors: Set<HTTPClientError.Code> = [
        .connectFailed, .connectTimeout, .tlsHandshakeTimeout, .connectionClosed, .streamReset,
        .readTimeout, .writeTimeout,
    ]

    /// Why `outcome` of `request` deserves a retry, or nil if it does not (before the limits are checked).
    public func retryReason(for outcome: AttemptOutcome, of request: HTTPClientRequest) -> RetryReason? {
        let reason: RetryReason
        var provenUnprocessed = false
        switch outcome {
        case .response(let head):
            guard isTransient?(outcome) ?? retryableStatuses.contains(head.status.code) else { return nil }
            reason = .status(head.status.code)
        case .error(let error):
            let attemptTimeout = error.underlying is AttemptTimedOut
            if error.code == .cancelled || error.code == .shutdown || error.code == .circuitOpen { return nil }
            guard isTransient?(outcome) ?? (attemptTimeout || retryableErrors.contains(error.code)) else { return nil }
            reason = attemptTimeout ? .attemptTimeout : .error(error.code)
            provenUnprocessed = error.isSafeToRetry
        }
        guard request.body?.isReplayable ?? true else { return nil }
        guard provenUnprocessed || mayRepeat(request) else { return nil }
        return reason
    }

    /// Whether sending `request` twice is acceptable whatever happened to the first one.
    public func mayRepeat(_ request: HTTPClientRequest) -> Bool {
        retriesNonIdempotentRequests || request.head.method.isIdempotent || request.options.retryableDespiteMethod
            || request.head.headerFields[Self.idempotencyKey] != nil
    }

    /// `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header).
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
