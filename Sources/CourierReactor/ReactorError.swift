import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// An error from the reactor: a socket, connect, resolve or loop failure, with the errno and what was attempted.
///
/// Match with the `is…` properties or compare `code` against the static codes; new codes may be added.
public struct ReactorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Hashable, Sendable {
            case connectionRefused, timedOut, unreachable, resolutionFailed, closedByPeer, connectionReset
            case addressInUse, invalidAddress, loopShutDown, closed, cancelled, system
        }
        fileprivate let value: Value

        /// The peer actively refused the connection (ECONNREFUSED).
        public static let connectionRefused = Code(value: .connectionRefused)
        /// A connect or other operation did not finish in time.
        public static let timedOut = Code(value: .timedOut)
        /// The network or host could not be reached (ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL).
        public static let unreachable = Code(value: .unreachable)
        /// The host name could not be resolved to any address.
        public static let resolutionFailed = Code(value: .resolutionFailed)
        /// The peer closed the connection while we still expected to use it.
        public static let closedByPeer = Code(value: .closedByPeer)
        /// The peer reset the connection (ECONNRESET, EPIPE).
        public static let connectionReset = Code(value: .connectionReset)
        /// The local address is already bound (EADDRINUSE).
        public static let addressInUse = Code(value: .addressInUse)
        /// An address could not be parsed or does not fit the socket.
        public static let invalidAddress = Code(value: .invalidAddress)
        /// The event loop was shut down while the operation was pending.
        public static let loopShutDown = Code(value: .loopShutDown)
        /// The operation was attempted on a connection we already closed.
        public static let closed = Code(value: .closed)
        /// The operation was cancelled by its caller.
        public static let cancelled = Code(value: .cancelled)
        /// Any other system call failure; see `errno`.
        public static let system = Code(value: .system)

        // The raw value, not `"\(value)"`: interpolating an enum reflects on it (2.4 M instructions the first
        // time, in every process that closes a connection).
        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The errno reported by the system, if a system call failed.
    public let errno: Int32?
    /// What was being attempted, e.g. `connect(127.0.0.1:8080)`.
    public let context: String

    /// Creates an error; the code is usually derived from errno with `init(errno:context:)`.
    public init(_ code: Code, errno: Int32? = nil, context: String) {
        self.code = code
        self.errno = errno
        self.context = context
    }

    /// Creates an error from a failed system call, classifying its errno.
    public init(errno: Int32, context: String) {
        let code: Code
        switch errno {
        case ECONNREFUSED: code = .connectionRefused
        case ETIMEDOUT: code = .timedOut
        case ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, ENETDOWN: code = .unreachable
        case ECONNRESET, EPIPE, ECONNABORTED: code = .connectionReset
        case EADDRINUSE: code = .addressInUse
        default: code = .system
        }
        self.init(code, errno: errno, context: context)
    }

    /// The connection was refused by the peer.
    public var isConnectionRefused: Bool { code == .connectionRefused }
    /// Something timed out.
    public var isTimeout: Bool { code == .timedOut }
    /// The destination could not be reached.
    public var isUnreachable: Bool { code == .unreachable }
    /// Name resolution failed.
    public var isResolutionFailure: Bool { code == .resolutionFailed }
    /// The peer closed or reset the connection.
    public var isClosedByPeer: Bool { code == .closedByPeer || code == .connectionReset }

    public var description: String {
        var text = "\(code): \(context)"
        if let errno { text += " (errno \(errno): \(String(cString: strerror(errno))))" }
        return text
    }
}
