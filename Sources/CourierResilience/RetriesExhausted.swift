import Courier

/// The `underlying` of the error a request fails with after it was retried: how many attempts were made,
/// why retrying stopped, and the last attempt's own error. The thrown `HTTPClientError` keeps that last
/// error's code, so `isTimeout`, `isConnectError` and the like still describe what went wrong.
///
/// When the last attempt produced a response (a 503 the policy would have retried, say), that response is
/// returned instead, so its body can be read.
public struct RetriesExhausted: Error, Sendable, CustomStringConvertible {
    /// Why no further attempt was made.
    public enum Reason: String, Sendable, Hashable, CustomStringConvertible {
        /// The policy's maximum number of attempts was reached.
        case maximumAttempts
        /// Another wait would have passed the policy's maximum elapsed time.
        case maximumElapsedTime
        /// Another wait would have passed the request's deadline, or the deadline ended the last attempt.
        case deadline
        /// The retry budget had no retry left.
        case budget
        /// The server asked for a longer wait than the policy accepts.
        case serverDelayTooLong
        /// The last attempt failed in a way the policy does not retry (after earlier retries).
        case notRetryable

        public var description: String { rawValue }
    }

    /// Attempts made, the first included.
    public let attempts: Int
    /// Why retrying stopped.
    public let reason: Reason
    /// The last attempt's error.
    public let lastError: HTTPClientError

    /// Creates the record.
    public init(attempts: Int, reason: Reason, lastError: HTTPClientError) {
        self.attempts = attempts
        self.reason = reason
        self.lastError = lastError
    }

    public var description: String { "\(attempts) attempts, stopped: \(reason); last error: \(lastError)" }
}

extension HTTPClientError {
    /// What the retry middleware recorded, if the request was retried before failing.
    public var retriesExhausted: RetriesExhausted? { underlying as? RetriesExhausted }

    /// The error a request fails with after `attempts` attempts: the last error's code and safety, with the
    /// record as the underlying error.
    init(exhausting last: HTTPClientError, attempts: Int, reason: RetriesExhausted.Reason) {
        self.init(last.code, "\(last.message) (after \(attempts) attempts; \(reason))",
                  underlying: RetriesExhausted(attempts: attempts, reason: reason, lastError: last),
                  isSafeToRetry: last.isSafeToRetry)
    }
}

extension Result where Success == HTTPClientResponse, Failure == HTTPClientError {
    /// The response's status code (parsed from the head, so read it once), or 0 for an error.
    var statusCode: Int {
        if case .success(let response) = self { return response.status.code }
        return 0
    }
}
