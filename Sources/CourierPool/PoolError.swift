/// Why the pool failed a request before it reached a connection.
///
/// Match with the `is…` properties or compare `code`; new codes may be added. Two errors are equal when
/// their codes are equal: the underlying cause is not compared (it is an arbitrary error).
public struct PoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case tooManyPendingRequests, acquireTimeout, shutdown, connectFailed, cancelled
        }
        fileprivate let value: Value

        /// The queue of requests waiting for a connection was full (`maximumPendingRequests`).
        public static let tooManyPendingRequests = Code(value: .tooManyPendingRequests)
        /// The request waited longer than `acquireTimeout` for a connection or stream.
        public static let acquireTimeout = Code(value: .acquireTimeout)
        /// The pool was shut down before the request got a connection.
        public static let shutdown = Code(value: .shutdown)
        /// Connecting to the origin failed and no other connection could take the request.
        public static let connectFailed = Code(value: .connectFailed)
        /// The waiting request's task was cancelled (reported by the driver, never by the state machine).
        public static let cancelled = Code(value: .cancelled)

        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public let code: Code
    /// The cause: the connection error for `connectFailed`; for `acquireTimeout`, the last connection error
    /// seen while the request waited, if any (a timeout behind a failing origin is reported with its reason).
    public let underlying: (any Error & Sendable)?

    private init(_ code: Code, underlying: (any Error & Sendable)?) {
        self.code = code
        self.underlying = underlying
    }

    /// The queue of waiting requests was full.
    public static let tooManyPendingRequests = PoolError(.tooManyPendingRequests, underlying: nil)
    /// The pool was shut down before the request got a connection.
    public static let shutdown = PoolError(.shutdown, underlying: nil)
    /// The waiting request was cancelled by its caller.
    public static let cancelled = PoolError(.cancelled, underlying: nil)

    /// The request waited too long; `lastConnectError` is the most recent connection failure, if any.
    public static func acquireTimeout(lastConnectError: (any Error & Sendable)? = nil) -> PoolError {
        PoolError(.acquireTimeout, underlying: lastConnectError)
    }

    /// Connecting failed with `underlying` and the request had no other connection to wait for.
    public static func connectFailed(_ underlying: any Error & Sendable) -> PoolError {
        PoolError(.connectFailed, underlying: underlying)
    }

    /// The queue of waiting requests was full.
    public var isTooManyPendingRequests: Bool { code == .tooManyPendingRequests }
    /// The request waited longer than the acquire timeout.
    public var isAcquireTimeout: Bool { code == .acquireTimeout }
    /// The pool was shut down.
    public var isShutdown: Bool { code == .shutdown }
    /// Connecting to the origin failed.
    public var isConnectFailed: Bool { code == .connectFailed }

    public static func == (lhs: PoolError, rhs: PoolError) -> Bool { lhs.code == rhs.code }

    public var description: String {
        guard let underlying else { return "\(code)" }
        return "\(code): \(underlying)"
    }
}
