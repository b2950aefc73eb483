import CourierCore
import CourierReactor
import HTTPTypes

/// The way one response reaches the client: an HTTP/1.1 exchange, or (later) an HTTP/2 stream. The
/// protocol-independent `ResponseSender` drives it, applying faults in terms of these operations.
///
/// Loop-confined: every member is used on `loop` only (the sender is an actor running on that loop).
/// Callbacks given to the `when…` methods run on the loop, exactly once, also when the connection closes
/// first (with `false`), so nothing waiting on a channel can hang after its connection is gone.
protocol ResponseChannel: AnyObject, Sendable {
    /// The loop the connection lives on.
    var loop: EventLoop { get }
    /// Whether the request was HEAD: the head declares the body, no body byte is sent.
    var isHeadRequest: Bool { get }
    /// Whether the client cannot take a body of unknown length (HTTP/1.0: no chunked coding).
    var needsKnownLength: Bool { get }
    /// Whether the connection (or stream) has closed: nothing more can be sent.
    var isClosed: Bool { get }
    /// False while the client is not taking bytes as fast as they are written.
    var isWritable: Bool { get }

    /// Sends an interim (1xx) response.
    func sendInformational(status: HTTPResponse.Status, fields: HTTPFields) throws(TestServerError)
    /// Sends the final head; `bodyLength` nil means unknown (chunked on HTTP/1.1).
    func sendHead(status: HTTPResponse.Status, fields: HTTPFields, bodyLength: Int?, hasTrailers: Bool) throws(TestServerError)
    /// Sends body bytes (framed as the head declared).
    func sendBody(_ chunk: ByteBuffer) throws(TestServerError)
    /// Ends the response, with trailers when given.
    func sendEnd(trailers: HTTPFields?) throws(TestServerError)
    /// Sends what was written so far now.
    func flush()

    /// Calls back once writable again (`true`) or closed (`false`).
    func whenWritable(_ callback: @escaping (Bool) -> Void)
    /// Calls back once everything written so far has left the process (`true`) or the connection closed.
    func whenDrained(_ callback: @escaping (Bool) -> Void)
    /// Calls back once the connection (or stream) has closed.
    func whenClosed(_ callback: @escaping () -> Void)

    /// Ends the response abnormally, as a fault asks.
    func interrupt(_ interruption: TestFault.Interruption)
    /// Refuses the request unprocessed (HTTP/2 REFUSED_STREAM; HTTP/1.1 closes without a response).
    func refuse()
    /// Announces a graceful shutdown with this response (HTTP/2 GOAWAY; HTTP/1.1 `Connection: close`).
    func goAway(lastStreamID: Int?, errorCode: UInt32)
    /// Closes the connection after this response without announcing it.
    func closeSilentlyAfterResponse()
    /// The response cannot be completed (a handler or framing error after the head): give up on it.
    func abort(reason: String)
}
