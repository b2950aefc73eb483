import CourierCore
import CourierReactor
import HTTPTypes

/// The HTTP version a connection speaks.
public enum HTTPProtocolVersion: String, Sendable, Hashable {
    /// HTTP/1.1: one exchange at a time.
    case http1_1 = "HTTP/1.1"
    /// HTTP/2: many concurrent streams.
    case http2 = "HTTP/2"
}

/// How much request body follows a head.
public enum RequestBodyLength: Sendable, Hashable {
    /// No body.
    case none
    /// Exactly this many bytes.
    case known(Int)
    /// Unknown in advance (chunked on HTTP/1.1; DATA frames until END_STREAM on HTTP/2).
    case unknown
}

/// A client connection the pool hands out: HTTP/1.1 or HTTP/2, plain or TLS. Loop-confined except for the
/// immutable properties.
public protocol ClientConnection: AnyObject, Sendable {
    /// The connection's loop; exchanges run there.
    var loop: EventLoop { get }
    /// HTTP/1.1 or HTTP/2.
    var protocolVersion: HTTPProtocolVersion { get }
    /// An identifier for logs and the pool.
    var connectionID: UInt64 { get }
    /// Receives lifecycle events (loop thread).
    var delegate: (any ClientConnectionDelegate)? { get set }
    /// Whether a new exchange can start now.
    var isAvailable: Bool { get }
    /// How many exchanges may run at once (1 on HTTP/1.1; the peer's stream limit on HTTP/2).
    var maximumConcurrentStreams: Int { get }
    /// Starts an exchange: writes the head, and `inlineBody` (the whole body, when known in advance) with it.
    /// With `inlineBody` nil and a body length other than `.none`, the caller sends the body through the
    /// exchange and finishes it.
    func startExchange(_ request: HTTPRequest, bodyLength: RequestBodyLength, inlineBody: ByteBuffer?,
                       expectContinue: Bool) throws(TransportError) -> ClientExchange
    /// Closes the connection; exchanges in flight fail with `error`.
    func close(error: TransportError?)
    /// Stops taking new exchanges and closes once the current ones finish (HTTP/2 sends GOAWAY).
    func closeGracefully()
    /// Keeps how the connection was set up (the factory calls it when it collects timings).
    func attachSetupMetrics(_ metrics: ConnectionSetupMetrics)
    /// How the connection was set up, handed out once: to the first request that uses it. Any thread.
    func takeSetupMetrics() -> ConnectionSetupMetrics?
}

extension ClientConnection {
    /// Connections that do not keep setup metrics drop them.
    public func attachSetupMetrics(_ metrics: ConnectionSetupMetrics) {}
    /// Connections that do not keep setup metrics have none.
    public func takeSetupMetrics() -> ConnectionSetupMetrics? { nil }
}

/// Lifecycle events of a client connection, delivered on its loop (to the pool).
public protocol ClientConnectionDelegate: AnyObject, Sendable {
    /// An exchange finished; `reusable` says whether the connection can carry another (HTTP/1.1) — on
    /// HTTP/2 a stream closed and the connection's capacity grew by one.
    func connection(_ connection: any ClientConnection, finishedExchangeReusable reusable: Bool)
    /// The peer's limit on concurrent streams changed (HTTP/2).
    func connection(_ connection: any ClientConnection, maximumStreamsChanged maximum: Int)
    /// The connection takes no new exchanges (GOAWAY received, stream ids exhausted).
    func connectionGoingAway(_ connection: any ClientConnection)
    /// The connection closed.
    func connectionClosed(_ connection: any ClientConnection)
}
