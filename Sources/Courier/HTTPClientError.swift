/// Why a request failed. Match with the `is…` properties or compare `code`; new codes may be added without
/// breaking callers. `underlying` keeps the lower layer's error (socket, TLS, codec) for diagnostics.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case invalidRequest, connectFailed, resolutionFailed, tlsFailed
            case connectTimeout, tlsHandshakeTimeout, poolAcquireTimeout, readTimeout, writeTimeout, deadlineExceeded
            case protocolViolation, streamReset, connectionClosed, limitExceeded, cancelled, shutdown
            case tooManyRedirects, redirectLoop, insecureRedirect, decompressionFailed, proxyFailed
            case bodyNotReplayable, circuitOpen, rateLimited, concurrencyLimited
        }
        fileprivate let value: Value

        /// The request cannot be sent as given (bad URL, method, header, or body framing).
        public static let invalidRequest = Code(value: .invalidRequest)
        /// No connection could be made (refused, unreachable).
        public static let connectFailed = Code(value: .connectFailed)
        /// The host name did not resolve.
        public static let resolutionFailed = Code(value: .resolutionFailed)
        /// The TLS handshake or a TLS record failed (certificate, version, ALPN, truncation).
        public static let tlsFailed = Code(value: .tlsFailed)
        /// Connecting took longer than the connect timeout.
        public static let connectTimeout = Code(value: .connectTimeout)
        /// The TLS handshake took longer than its timeout.
        public static let tlsHandshakeTimeout = Code(value: .tlsHandshakeTimeout)
        /// No connection became available within the pool acquire timeout.
        public static let poolAcquireTimeout = Code(value: .poolAcquireTimeout)
        /// The peer sent nothing for longer than the read timeout.
        public static let readTimeout = Code(value: .readTimeout)
        /// The peer accepted nothing for longer than the write timeout.
        public static let writeTimeout = Code(value: .writeTimeout)
        /// The request's total deadline passed.
        public static let deadlineExceeded = Code(value: .deadlineExceeded)
        /// The peer broke HTTP/1.1 or HTTP/2 rules (malformed response, framing conflict, protocol error).
        public static let protocolViolation = Code(value: .protocolViolation)
        /// The HTTP/2 stream was reset by the peer (or refused).
        public static let streamReset = Code(value: .streamReset)
        /// The connection closed before the response was complete.
        public static let connectionClosed = Code(value: .connectionClosed)
        /// A configured limit was exceeded (header size, body size, decompression ratio, queue length).
        public static let limitExceeded = Code(value: .limitExceeded)
        /// The calling task was cancelled.
        public static let cancelled = Code(value: .cancelled)
        /// The client was shut down.
        public static let shutdown = Code(value: .shutdown)
        /// More redirects than allowed.
        public static let tooManyRedirects = Code(value: .tooManyRedirects)
        /// A redirect led back to a URL already visited.
        public static let redirectLoop = Code(value: .redirectLoop)
        /// A redirect from https to http was refused.
        public static let insecureRedirect = Code(value: .insecureRedirect)
        /// The response body could not be decompressed.
        public static let decompressionFailed = Code(value: .decompressionFailed)
        /// The proxy refused or failed the tunnel.
        public static let proxyFailed = Code(value: .proxyFailed)
        /// The request must be sent again (redirect or retry) but its body cannot be replayed.
        public static let bodyNotReplayable = Code(value: .bodyNotReplayable)
        /// A circuit breaker is open for this destination.
        public static let circuitOpen = Code(value: .circuitOpen)
        /// A rate limiter refused the request.
        public static let rateLimited = Code(value: .rateLimited)
        /// A concurrency limiter's queue was full.
        public static let concurrencyLimited = Code(value: .concurrencyLimited)

        /// A stable, machine-readable name (e.g. `connectTimeout`), as used by the CLI's JSON summary.
        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable account of what happened.
    public let message: String
    /// The lower layer's error, if any.
    public let underlying: (any Error & Sendable)?
    /// Whether the request is known not to have reached the server's application (nothing was sent, or the
    /// server said it did not process it), so sending it again cannot duplicate a side effect.
    public let isSafeToRetry: Bool

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil, isSafeToRetry: Bool = false) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.isSafeToRetry = isSafeToRetry
    }

    /// Connecting failed (refused, unreachable, name resolution).
    public var isConnectError: Bool { code == .connectFailed || code == .resolutionFailed || code == .connectTimeout }
    /// TLS failed, including its handshake timeout.
    public var isTLSError: Bool { code == .tlsFailed || code == .tlsHandshakeTimeout }
    /// Any kind of timeout (connect, TLS, pool, read, write, deadline).
    public var isTimeout: Bool {
        [.connectTimeout, .tlsHandshakeTimeout, .poolAcquireTimeout, .readTimeout, .writeTimeout, .deadlineExceeded]
            .contains(code)
    }
    /// The peer violated the protocol.
    public var isProtocolViolation: Bool { code == .protocolViolation }
    /// The HTTP/2 stream was reset.
    public var isStreamReset: Bool { code == .streamReset }
    /// The connection closed early.
    public var isConnectionClosed: Bool { code == .connectionClosed }
    /// A limit was exceeded.
    public var isLimitExceeded: Bool { code == .limitExceeded }
    /// The request was cancelled.
    public var isCancelled: Bool { code == .cancelled }

    public var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
