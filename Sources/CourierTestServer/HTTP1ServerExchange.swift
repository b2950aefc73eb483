import CourierCore
import CourierReactor
import CourierTransport
import HTTPTypes

/// One request and its response on an HTTP/1.1 server connection: the request body flowing to the
/// handler, and the `ResponseChannel` the response is sent through.
///
/// Loop-confined: created by the connection on its loop; the channel methods are called by the response
/// sender, which runs on that loop; each forwards to the connection, which checks the exchange is current.
final class HTTP1ServerExchange: ResponseChannel, @unchecked Sendable {
    // Sendable proof: every stored `var` is read and written on `connection.loop` only — by the connection's
    // stream callbacks and by the channel methods, which the response sender (an actor whose executor is
    // that loop) calls; the only value handed to other threads is `body`, which is itself thread-safe.

    let connection: HTTP1ServerConnection
    /// The request body, nil when the request has none.
    let body: BodyStream?
    /// The recorder's sequence number for this request.
    let recordSequence: Int
    let isHeadRequest: Bool
    let needsKnownLength: Bool
    /// Whether the client sent `Expect: 100-continue`.
    let expectsContinue: Bool
    /// Whether the request line said HTTP/1.0 (keep-alive must then be announced).
    let isHTTP10: Bool
    /// The handler's task.
    var task: Task<Void, Never>?

    /// The whole request arrived.
    var requestEnded = false
    /// The response was completely written.
    var responseEnded = false
    var continueSent = false
    var headSent = false
    /// The handler gave up the body: further body bytes are read and dropped.
    var discardingBody = false
    /// Whether the client allows another request after this one.
    var keepAlive: Bool
    /// Close after the response, announced with `Connection: close`.
    var closeAnnounced = false
    /// Close after the response without announcing it.
    var closeSilently = false
    /// The sender's waits for writability.
    var writableWaiters: [(Bool) -> Void] = []

    init(connection: HTTP1ServerConnection, body: BodyStream?, recordSequence: Int, isHeadRequest: Bool,
         isHTTP10: Bool, expectsContinue: Bool, keepAlive: Bool) {
        self.connection = connection
        self.body = body
        self.recordSequence = recordSequence
        self.isHeadRequest = isHeadRequest
        self.isHTTP10 = isHTTP10
        self.needsKnownLength = isHTTP10
        self.expectsContinue = expectsContinue
        self.keepAlive = keepAlive
    }

    /// Whether the connection closes after this response.
    var closesAfterResponse: Bool { !keepAlive || closeAnnounced || closeSilently }

    // MARK: - ResponseChannel

    var loop: EventLoop { connection.loop }
    var isClosed: Bool { connection.isClosed || (responseEnded && !connection.isCurrent(self)) }
    var isWritable: Bool { connection.isWritable }

    func sendInformational(status: HTTPResponse.Status, fields: HTTPFields) throws(TestServerError) {
        try connection.sendInformational(self, status: status, fields: fields)
    }

    func sendHead(status: HTTPResponse.Status, fields: HTTPFields, bodyLength: Int?, hasTrailers: Bool) throws(TestServerError) {
        try connection.sendHead(self, status: status, fields: fields, bodyLength: hasTrailers ? nil : bodyLength)
    }

    func sendBody(_ chunk: ByteBuffer) throws(TestServerError) {
        try connection.sendBody(self, chunk)
    }

    func sendEnd(trailers: HTTPFields?) throws(TestServerError) {
        try connection.sendEnd(self, trailers: trailers)
    }

    func flush() { connection.flush() }

    func whenWritable(_ callback: @escaping (Bool) -> Void) {
        if connection.isClosed {
            callback(false)
        } else if connection.isWritable {
            callback(true)
        } else {
            writableWaiters.append(callback)
        }
    }

    func whenDrained(_ callback: @escaping (Bool) -> Void) { connection.whenDrained(callback) }
    func whenClosed(_ callback: @escaping () -> Void) { connection.whenClosed(callback) }

    func interrupt(_ interruption: TestFault.Interruption) { connection.interrupt(self, interruption) }

    func refuse() { connection.interrupt(self, .drop(closeNotify: true)) }

    func goAway(lastStreamID: Int?, errorCode: UInt32) { closeAnnounced = true }

    func closeSilentlyAfterResponse() { closeSilently = true }

    func abort(reason: String) { connection.abort(self, reason: reason) }

    /// Resolves the writability waiters (`false`: the connection closed).
    func notifyWritable(_ writable: Bool) {
        let waiters = writableWaiters
        writableWaiters = []
        for waiter in waiters { waiter(writable) }
    }
}
