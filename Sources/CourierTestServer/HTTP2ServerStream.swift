import CourierCore
import CourierHPACK
import CourierHTTP2
import CourierReactor
import CourierTransport
import HTTPTypes

/// One request and its response on an HTTP/2 server connection: a stream. It is the `ResponseChannel` the
/// response is sent through, and it holds the request body flowing to the handler.
///
/// Loop-confined: created by the connection on its loop; the channel methods are called by the response
/// sender, an actor running on that loop; each forwards to the connection, which owns the state machine.
final class HTTP2ServerStream: ResponseChannel, @unchecked Sendable {
    // Sendable proof: every stored `var` is read and written on `connection.loop` only — by the connection's
    // event handling and by the channel methods, which the response sender (an actor whose executor is that
    // loop) calls; the only value handed to other threads is `body`, which is itself thread-safe.

    let connection: HTTP2ServerConnection
    let id: HTTP2StreamID
    /// The request body, nil when the request had none (END_STREAM on its HEADERS).
    let body: BodyStream?
    let recordSequence: Int
    let isHeadRequest: Bool
    var needsKnownLength: Bool { false }
    /// The handler's task.
    var task: Task<Void, Never>?

    /// The whole request arrived (END_STREAM received).
    var requestEnded = false
    /// The response ended (END_STREAM sent, or queued behind DATA waiting for flow control).
    var responseEnded = false
    var headSent = false
    /// The stream is gone: closed, reset by either side, or its connection closed.
    var closed = false
    /// The handler gave up the body: further DATA is credited back at once.
    var discardingBody = false
    /// Close the connection once this response has ended, without GOAWAY.
    var closeSilently = false
    /// DATA that flow control held back, in order.
    var pending: [ByteBuffer] = []
    /// The end of the response, waiting for `pending` to go out (trailers, or nil for an empty END_STREAM).
    var pendingEnd: HTTPFields??
    /// DATA octets delivered to the body stream, and how many of them were credited back to the peer.
    var delivered = 0
    var credited = 0
    var writableWaiters: [(Bool) -> Void] = []
    var closeWaiters: [() -> Void] = []

    init(connection: HTTP2ServerConnection, id: HTTP2StreamID, body: BodyStream?, recordSequence: Int, isHeadRequest: Bool) {
        self.connection = connection
        self.id = id
        self.body = body
        self.recordSequence = recordSequence
        self.isHeadRequest = isHeadRequest
    }

    // MARK: - ResponseChannel

    var loop: EventLoop { connection.loop }
    var isClosed: Bool { closed || !connection.acceptsCommands }
    var isWritable: Bool { !isClosed && pending.isEmpty && connection.isWritable }

    func sendInformational(status: HTTPResponse.Status, fields: HTTPFields) throws(TestServerError) {
        try connection.sendHead(self, status: status, fields: fields, bodyLength: nil, informational: true)
    }

    func sendHead(status: HTTPResponse.Status, fields: HTTPFields, bodyLength: Int?, hasTrailers: Bool) throws(TestServerError) {
        try connection.sendHead(self, status: status, fields: fields, bodyLength: hasTrailers ? nil : bodyLength,
                                informational: false)
    }

    func sendBody(_ chunk: ByteBuffer) throws(TestServerError) { try connection.sendBody(self, chunk) }

    func sendEnd(trailers: HTTPFields?) throws(TestServerError) { try connection.sendEnd(self, trailers: trailers) }

    func flush() { connection.flushNow() }

    func whenWritable(_ callback: @escaping (Bool) -> Void) {
        if isClosed {
            callback(false)
        } else if isWritable {
            callback(true)
        } else {
            writableWaiters.append(callback)
        }
    }

    func whenDrained(_ callback: @escaping (Bool) -> Void) { connection.whenDrained(callback) }

    func whenClosed(_ callback: @escaping () -> Void) {
        if isClosed { callback() } else { closeWaiters.append(callback) }
    }

    func interrupt(_ interruption: TestFault.Interruption) { connection.interrupt(self, interruption) }

    func refuse() { connection.reset(self, code: .refusedStream) }

    func goAway(lastStreamID: Int?, errorCode: UInt32) {
        connection.goAway(lastStreamID: lastStreamID.map { HTTP2StreamID(UInt32(clamping: $0)) } ?? id,
                          errorCode: CourierHTTP2.HTTP2ErrorCode(errorCode))
    }

    func closeSilentlyAfterResponse() { closeSilently = true }

    func abort(reason: String) { connection.reset(self, code: .internalError) }

    // MARK: - Notifications from the connection

    /// Resolves the writability waiters when writable again, or with false when closed.
    func notifyWritable() {
        guard !writableWaiters.isEmpty, isClosed || isWritable else { return }
        let waiters = writableWaiters
        writableWaiters = []
        let writable = !isClosed
        for waiter in waiters { waiter(writable) }
    }

    /// The stream is gone: wakes everything that waits on it.
    func markClosed() {
        guard !closed else { return }
        closed = true
        pending = []
        notifyWritable()
        let waiters = closeWaiters
        closeWaiters = []
        for waiter in waiters { waiter() }
    }
}
