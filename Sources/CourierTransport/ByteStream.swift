import CourierCore
import CourierReactor

/// A bidirectional byte stream on one event loop: plain TCP or Unix (`PlainByteStream`) or TLS over one
/// (`TLSByteStream`). HTTP drivers speak to this so they need not know whether bytes are encrypted.
/// Loop-confined: every method is called on `loop`.
public protocol ByteStream: AnyObject, Sendable {
    /// The loop the stream lives on.
    var loop: EventLoop { get }
    /// The peer's address.
    var remoteAddress: SocketAddress { get }
    /// The protocol ALPN agreed on (`h2`, `http/1.1`), or nil without TLS or ALPN.
    var negotiatedApplicationProtocol: String? { get }
    /// False while too much written data waits to be sent; the handler hears when it drains.
    var isWritable: Bool { get }
    /// Attaches the handler and starts reading.
    func start(handler: any ByteStreamHandler)
    /// Queues bytes; they leave with everything queued in this loop iteration.
    func write(_ buffer: ByteBuffer)
    /// Sends queued bytes now.
    func flush()
    /// Stops delivering reads until `resumeReading()` (backpressure).
    func pauseReading()
    /// Resumes delivering reads.
    func resumeReading()
    /// Closes at once (with close_notify first for TLS, best effort). The handler hears `streamDidClose`.
    func close(error: TransportError?)
}

/// How the peer ended its side of a stream.
public enum EndOfInput: Sendable, Hashable {
    /// An orderly end: TCP FIN, or TLS close_notify.
    case clean
    /// TLS ended without close_notify: data may have been cut off by an attacker; only framing can tell.
    case truncated
}

/// Receives a `ByteStream`'s events on its loop.
public protocol ByteStreamHandler: AnyObject {
    /// Bytes arrived; consume what you can (move the reader index); the rest comes back with more.
    func streamDidRead(_ buffer: inout ByteBuffer)
    /// The peer finished sending.
    func streamDidReadEOF(_ end: EndOfInput)
    /// Written data drained; write more.
    func streamDidBecomeWritable()
    /// The stream closed (nil error: we closed it).
    func streamDidClose(error: TransportError?)
}
