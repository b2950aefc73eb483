import CourierReactor
import CourierTLS
import CourierHTTP1
import CourierHTTP2

/// A failure in a connection driver: connecting, TLS, the peer breaking the protocol, resets, closes, timeouts
/// and limits. The client maps it to its public error; `underlying` keeps the layer's own error.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// Connecting failed (refused, unreachable); see the reactor error.
        case connectFailed
        /// The host did not resolve.
        case resolutionFailed
        /// Connecting timed out.
        case connectTimeout
        /// TLS failed (handshake, certificate, record, truncation).
        case tlsFailed
        /// The TLS handshake timed out.
        case tlsHandshakeTimeout
        /// The peer violated HTTP/1.1 or HTTP/2.
        case protocolViolation
        /// The HTTP/2 stream was reset by the peer.
        case streamReset
        /// The peer refused the stream, or it was above a GOAWAY's last stream id: never processed.
        case streamRefused
        /// The connection closed before the exchange finished.
        case connectionClosed
        /// Nothing arrived within the read timeout.
        case readTimeout
        /// Nothing could be written within the write timeout.
        case writeTimeout
        /// The request's overall deadline passed.
        case deadlineExceeded
        /// A configured limit was exceeded.
        case limitExceeded
        /// The request itself is invalid (header injection, bad framing).
        case invalidRequest
        /// The exchange was cancelled locally.
        case cancelled
        /// A forward proxy refused or broke the `CONNECT` tunnel (its status is in the message).
        case proxyFailed
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for people.
    public let message: String
    /// The lower layer's error.
    public let underlying: (any Error & Sendable)?
    /// True when the request provably did not reach the server's application (not sent at all, refused, or
    /// above GOAWAY's last stream id), so it can be retried on another connection without side effects.
    public let requestNotProcessed: Bool
    /// True when the connection failed before any byte of this request's response arrived: a reused
    /// HTTP/1.1 connection the server had closed while idle, or an HTTP/2 connection lost (reset, closed)
    /// with this stream still unanswered. Whether the server acted on the request is unknown, so only
    /// idempotent requests may be retried.
    public let staleConnection: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil,
                requestNotProcessed: Bool = false, staleConnection: Bool = false) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.requestNotProcessed = requestNotProcessed
        self.staleConnection = staleConnection
    }

    /// The same error, marked as coming from a stale reused connection.
    func markedStale(_ stale: Bool) -> TransportError {
        TransportError(code, message, underlying: underlying, requestNotProcessed: requestNotProcessed, staleConnection: stale)
    }

    /// Classifies a reactor error (connect, reset, close).
    public init(_ error: ReactorError, requestNotProcessed: Bool = false) {
        let code: Code
        switch error.code {
        case .timedOut: code = .connectTimeout
        case .resolutionFailed: code = .resolutionFailed
        case .connectionRefused, .unreachable, .invalidAddress, .addressInUse: code = .connectFailed
        case .cancelled: code = .cancelled
        default: code = .connectionClosed
        }
        self.init(code, error.description, underlying: error, requestNotProcessed: requestNotProcessed)
    }

    /// Classifies a TLS error.
    public init(_ error: TLSError) {
        self.init(error.code == .handshakeTimeout ? .tlsHandshakeTimeout : .tlsFailed, error.description, underlying: error)
    }

    /// Classifies an HTTP/1.1 parse error.
    public init(_ error: HTTP1Error) {
        let code: Code = error.isLimitExceeded ? .limitExceeded : (error.isTruncation ? .connectionClosed : .protocolViolation)
        self.init(code, error.description, underlying: error, requestNotProcessed: error.code == .closedBeforeResponse && false)
    }

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}
