import CourierCore
import CourierReactor
import CourierTransport
import CourierHTTP1
import HTTPTypes

/// The server side of an HTTP/1.1 connection (RFC 9112): requests parsed strictly, each handed to its
/// handler as a task on this connection's loop, responses written in order with keep-alive.
///
/// Theory of operation. Bytes go through `HTTP1RequestParser`. A head starts an exchange: the request is
/// recorded, routed and dispatched; its body (if any) flows into a `BodyStream` the handler reads, and reading
/// the socket pauses while the handler lags (backpressure). Once a request has completely arrived, parsing
/// stops until its response is written, so pipelined requests are answered one after another, in order;
/// their bytes wait in the parser (reading pauses above 64 KiB of them). A response that ends before its
/// request body makes the rest of the body be read and dropped. `Expect: 100-continue` is answered when the
/// handler starts reading the body (configurable); a response sent without it, before the body came, closes
/// the connection since the client may never send that body. A request the parser rejects gets 400 (414,
/// 431 for limits) and the connection closes. The connection closes after a response when the client asked,
/// for HTTP/1.0 without keep-alive, at the per-connection request limit, or as a fault asks; idle
/// connections close after the configured idle timeout.
final class HTTP1ServerConnection: ByteStreamHandler, @unchecked Sendable {
    // Sendable proof: every stored `var` is touched only on `socket.loop`: the ByteStream callbacks run there,
    // the exchange's channel methods are called by the response sender (an actor on that loop), and the
    // body-stream callbacks, which may run elsewhere, hop to the loop before touching anything.

    let id: UInt64
    let stream: any ByteStream
    let socket: StreamConnection
    let context: ServerContext
    let scheme: String
    var loop: EventLoop { socket.loop }

    private var parser: HTTP1RequestParser
    private var serializer = HTTP1ResponseSerializer()
    private var current: HTTP1ServerExchange?
    private var requestsOnConnection = 0
    private(set) var isClosed = false
    private var processing = false
    /// A request could not be parsed: nothing more is parsed while the error response goes out.
    private var failed = false
    private var readPausedForBody = false
    private var readingPaused = false
    private var inputEnded = false
    private var idleTimer: ScheduledTask?
    private let drain: OutputDrain
    private var closeWaiters: [() -> Void] = []
    /// Above this many buffered unparsed bytes (pipelined requests), reading pauses.
    private static let pipelineBufferLimit = 64 * 1024

    init(id: UInt64, stream: any ByteStream, socket: StreamConnection, context: ServerContext, isTLS: Bool) {
        self.id = id
        self.stream = stream
        self.socket = socket
        self.context = context
        self.scheme = isTLS ? "https" : "http"
        self.parser = HTTP1RequestParser(limits: context.configuration.requestLimits)
        self.drain = OutputDrain(stream: stream, socket: socket)
    }

    /// Takes over the stream; `initialBytes` were read already (while sniffing the protocol).
    func start(initialBytes: ByteBuffer) {
        loop.assertInEventLoop()
        stream.start(handler: self)
        if initialBytes.readableBytes > 0 { parser.append(initialBytes) }
        armIdleTimer()
        processInput()
    }

    var isWritable: Bool { stream.isWritable }

    func isCurrent(_ exchange: HTTP1ServerExchange) -> Bool { current === exchange }

    // MARK: - Requests

    private func processInput() {
        guard !processing else { return }
        processing = true
        while !isClosed && !failed && !readPausedForBody {
            if let current, current.requestEnded { break }
            let event: HTTP1RequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                processing = false
                parseFailed(error)
                return
            }
            guard let event else { break }
            switch event {
            case .head(let head): beginRequest(head)
            case .body(let bytes): receivedBody(bytes)
            case .end(let trailers): endRequest(trailers)
            }
        }
        processing = false
        updateReading()
    }

    private func beginRequest(_ head: HTTP1RequestHead) {
        idleTimer?.cancel()
        idleTimer = nil
        requestsOnConnection += 1
        let configuration = context.configuration
        let hasBody: Bool
        switch head.framing {
        case .contentLength(let length): hasBody = length > 0
        case .chunked: hasBody = true
        case .none, .untilClose, .tunnel: hasBody = false
        }
        let fields = Self.fields(from: head.fields)
        var target = head.target
        var authority = head.fields["host"]
        if let (absoluteAuthority, path) = Self.splitAbsoluteForm(target) {
            authority = absoluteAuthority
            target = path
        }
        guard let method = HTTPRequest.Method(head.method) else {
            parseFailed(HTTP1Error(.invalidMethod, offset: 0, detail: "method \(head.method) is not a token"))
            return
        }
        var request = TestRequest(method: method, target: target, authority: authority, scheme: scheme,
                                  headerFields: fields, protocolVersion: .http1_1, connectionID: id)
        request.httpVersion = head.version.description
        request.requestNumberOnConnection = requestsOnConnection
        request.remoteAddress = socket.remoteAddress
        let body = hasBody ? BodyStream(highWatermark: configuration.requestBodyBufferSize,
                                        lowWatermark: configuration.requestBodyBufferSize / 4) : nil
        let sequence = context.recorder.begin(request, hasBody: hasBody)
        let exchange = HTTP1ServerExchange(
            connection: self, body: body, recordSequence: sequence, isHeadRequest: method == .head,
            isHTTP10: !head.version.isAtLeastHTTP11, expectsContinue: head.expectsContinue,
            keepAlive: head.keepAlive && !inputEnded)
        if let limit = configuration.maximumRequestsPerConnection, requestsOnConnection >= limit {
            if configuration.announcesConnectionClose { exchange.closeAnnounced = true } else { exchange.closeSilently = true }
        }
        current = exchange
        var willRead: (@Sendable () -> Void)?
        if let body {
            let loop = self.loop
            body.setCallbacks(
                onConsumed: { [weak self] _ in
                    guard let self else { return }
                    loop.runOnLoop { self.bodyConsumed(exchange) }
                },
                onCancel: { [weak self] in
                    guard let self else { return }
                    loop.runOnLoop { self.bodyAbandoned(exchange) }
                })
            if head.expectsContinue {
                switch configuration.continueBehavior {
                case .immediately: sendContinue(exchange)
                case .whenBodyIsRead:
                    willRead = { [weak self] in
                        guard let self else { return }
                        loop.runOnLoop { self.sendContinue(exchange) }
                    }
                case .never: break
                }
            }
        }
        request.body = TestRequestBody(stream: body, declaredLength: hasBody ? head.contentLength : 0, willRead: willRead)
        exchange.task = context.dispatch(request, on: exchange)
    }

    private func receivedBody(_ bytes: ByteBuffer) {
        guard let exchange = current else { return }
        context.recorder.appendBody(exchange.recordSequence, bytes)
        guard !exchange.discardingBody, let body = exchange.body else { return }
        if body.yield(bytes) == .pause { readPausedForBody = true }
    }

    private func endRequest(_ trailers: HTTP1Fields?) {
        guard let exchange = current else { return }
        exchange.requestEnded = true
        let fields = trailers.map(Self.fields(from:))
        exchange.body?.finish(trailers: fields)
        context.recorder.finish(exchange.recordSequence, trailers: fields, failure: nil)
        // Courier's test server switches to no other protocol: an upgrade request is answered like any other.
        if parser.isPausedForUpgrade { parser.declineUpgrade() }
        if exchange.responseEnded { finishExchange(exchange) }
    }

    private func bodyConsumed(_ exchange: HTTP1ServerExchange) {
        guard current === exchange, readPausedForBody else { return }
        readPausedForBody = false
        processInput()
    }

    private func bodyAbandoned(_ exchange: HTTP1ServerExchange) {
        guard current === exchange, !exchange.requestEnded else { return }
        exchange.discardingBody = true
        if readPausedForBody {
            readPausedForBody = false
            processInput()
        }
    }

    private func updateReading() {
        guard !isClosed else { return }
        let shouldRead = !readPausedForBody && parser.bufferedByteCount < Self.pipelineBufferLimit
        if shouldRead && readingPaused {
            readingPaused = false
            stream.resumeReading()
        } else if !shouldRead && !readingPaused {
            readingPaused = true
            stream.pauseReading()
        }
    }

    private func parseFailed(_ error: HTTP1Error) {
        failed = true
        let clientLeft = inputEnded && error.isTruncation
        if let exchange = current, !exchange.requestEnded {
            let reason = clientLeft ? "the client closed the connection before the request ended"
                                    : "the request is malformed: \(error)"
            exchange.body?.fail(TestServerError(.connectionClosed, reason, underlying: error))
            context.recorder.finish(exchange.recordSequence, trailers: nil, failure: reason)
            if !clientLeft { context.recorder.protocolError("connection \(id): \(error)") }
            closeConnection()
            return
        }
        context.recorder.protocolError("connection \(id): \(error)")
        guard current == nil, serializer.isIdle, !inputEnded else {
            closeConnection()
            return
        }
        let status: Int
        switch error.code {
        case .startLineTooLong: status = 414
        case _ where error.isLimitExceeded: status = 431
        default: status = 400
        }
        var out = ByteBuffer(capacity: 256)
        let message = ByteBuffer(string: "\(error)\n")
        do {
            try serializer.writeHead(status: status, fields: [(name: "Connection", value: "close"),
                                                              (name: "Content-Type", value: "text/plain")],
                                     body: .known(message.readableBytes), into: &out)
            try serializer.writeBody(message, into: &out)
            try serializer.writeEnd(into: &out)
        } catch {
            closeConnection()
            return
        }
        stream.write(out)
        whenDrained { [weak self] _ in self?.closeConnection() }
    }

    private func sendContinue(_ exchange: HTTP1ServerExchange) {
        guard current === exchange, !isClosed, !exchange.headSent, !exchange.continueSent, !exchange.requestEnded else { return }
        exchange.continueSent = true
        var out = ByteBuffer(capacity: 32)
        serializer.writeContinue(into: &out)
        stream.write(out)
    }

    // MARK: - Responses (called through the exchange's channel methods)

    private func checkCurrent(_ exchange: HTTP1ServerExchange) throws(TestServerError) {
        guard current === exchange, !isClosed, !exchange.responseEnded else {
            throw TestServerError(.connectionClosed, "the connection closed")
        }
    }

    func sendInformational(_ exchange: HTTP1ServerExchange, status: HTTPResponse.Status,
                           fields: HTTPFields) throws(TestServerError) {
        try checkCurrent(exchange)
        var out = ByteBuffer(capacity: 128)
        do {
            try serializer.writeInformational(status: status.code, reason: Self.reason(status),
                                              fields: Self.pairs(fields), into: &out)
        } catch {
            throw TestServerError(.invalidResponse, "interim response \(status.code): \(error)", underlying: error)
        }
        stream.write(out)
    }

    func sendHead(_ exchange: HTTP1ServerExchange, status: HTTPResponse.Status, fields: HTTPFields,
                  bodyLength: Int?) throws(TestServerError) {
        try checkCurrent(exchange)
        // Without 100 Continue the client may never send the body it announced: do not wait for it.
        if exchange.expectsContinue && !exchange.continueSent && !exchange.requestEnded { exchange.closeAnnounced = true }
        if inputEnded { exchange.keepAlive = false }
        var pairs: [(name: String, value: String)] = []
        pairs.reserveCapacity(fields.count + 1)
        var connectionField = false
        for field in fields where field.name != .contentLength && field.name != .transferEncoding {
            if field.name == .connection {
                connectionField = true
                if field.value.lowercased().contains("close") { exchange.closeAnnounced = true }
            }
            pairs.append((name: field.name.rawName, value: field.value))
        }
        if !connectionField {
            if exchange.closeAnnounced || !exchange.keepAlive {
                pairs.append((name: "Connection", value: "close"))
            } else if exchange.isHTTP10 && !exchange.closeSilently {
                pairs.append((name: "Connection", value: "keep-alive"))
            }
        }
        let code = status.code
        let length: HTTP1BodyLength
        if code == 204 || code < 200 {
            length = .none
        } else if let bodyLength {
            length = .known(bodyLength)
        } else {
            length = code == 304 ? .none : .unknown
        }
        var out = ByteBuffer(capacity: 256)
        do {
            try serializer.writeHead(status: code, reason: Self.reason(status), fields: pairs, body: length,
                                     headRequest: exchange.isHeadRequest, into: &out)
        } catch {
            throw TestServerError(.invalidResponse, "response head \(code): \(error)", underlying: error)
        }
        exchange.headSent = true
        stream.write(out)
        context.recorder.responded(exchange.recordSequence, status: code)
    }

    func sendBody(_ exchange: HTTP1ServerExchange, _ chunk: ByteBuffer) throws(TestServerError) {
        try checkCurrent(exchange)
        let small = chunk.readableBytes <= 4096
        var out = ByteBuffer(capacity: small ? chunk.readableBytes + 16 : 16)
        do {
            try serializer.beginBodyPart(length: chunk.readableBytes, into: &out)
        } catch {
            throw TestServerError(.invalidResponse, "response body: \(error)", underlying: error)
        }
        if small {
            out.writeBuffer(chunk)
            serializer.endBodyPart(into: &out)
            stream.write(out)
        } else {
            if out.readableBytes > 0 { stream.write(out) }
            stream.write(chunk)
            var after = ByteBuffer(capacity: 2)
            serializer.endBodyPart(into: &after)
            if after.readableBytes > 0 { stream.write(after) }
        }
    }

    func sendEnd(_ exchange: HTTP1ServerExchange, trailers: HTTPFields?) throws(TestServerError) {
        try checkCurrent(exchange)
        var out = ByteBuffer(capacity: 64)
        do {
            if let trailers {
                try serializer.writeEnd(trailers: Self.pairs(trailers), into: &out)
            } else {
                try serializer.writeEnd(into: &out)
            }
        } catch {
            throw TestServerError(.invalidResponse, "response end: \(error)", underlying: error)
        }
        if out.readableBytes > 0 { stream.write(out) }
        exchange.responseEnded = true
        responseFinished(exchange)
    }

    private func responseFinished(_ exchange: HTTP1ServerExchange) {
        if exchange.closesAfterResponse || inputEnded {
            whenDrained { [weak self] _ in self?.closeConnection() }
            return
        }
        if exchange.requestEnded {
            finishExchange(exchange)
            return
        }
        // Answered before the whole request body arrived: read the rest and drop it, then go on.
        exchange.discardingBody = true
        exchange.body?.cancel()
        if readPausedForBody {
            readPausedForBody = false
            processInput()
        }
    }

    private func finishExchange(_ exchange: HTTP1ServerExchange) {
        guard current === exchange else { return }
        current = nil
        guard !isClosed else { return }
        armIdleTimer()
        processInput()
    }

    // MARK: - Faults and closing

    func interrupt(_ exchange: HTTP1ServerExchange, _ interruption: TestFault.Interruption) {
        guard current === exchange, !isClosed else { return }
        switch interruption {
        case .drop(let closeNotify):
            if closeNotify { closeConnection() } else { socket.close() }
        case .reset:
            socket.reset()
        case .stall:
            break
        case .truncateChunked:
            closeConnection()
        }
    }

    func abort(_ exchange: HTTP1ServerExchange, reason: String) {
        guard current === exchange, !isClosed else { return }
        whenDrained { [weak self] _ in self?.closeConnection() }
    }

    func flush() {
        guard !isClosed else { return }
        stream.flush()
    }

    /// Calls back once everything written has left the process, or with false when the connection closes first.
    func whenDrained(_ callback: @escaping (Bool) -> Void) {
        guard !isClosed else {
            callback(false)
            return
        }
        drain.whenDrained(callback)
    }

    func whenClosed(_ callback: @escaping () -> Void) {
        if isClosed { return callback() }
        closeWaiters.append(callback)
        // Only a stalled response waits for the close: if the client left before it started waiting, close now.
        if inputEnded { closeConnection() }
    }

    /// Closes in an orderly way (FIN; close_notify first with TLS).
    private func closeConnection() {
        guard !isClosed else { return }
        stream.close(error: nil)
    }

    private func armIdleTimer() {
        guard let timeout = context.configuration.idleTimeout, !isClosed, current == nil else { return }
        idleTimer?.cancel()
        idleTimer = loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
            guard let self, self.current == nil, !self.isClosed else { return }
            self.closeConnection()
        }
    }

    // MARK: - ByteStreamHandler

    func streamDidRead(_ buffer: inout ByteBuffer) {
        parser.append(buffer.readAll())
        processInput()
    }

    func streamDidReadEOF(_ end: EndOfInput) {
        inputEnded = true
        parser.finish()
        processInput()
        guard !isClosed else { return }
        guard let exchange = current else {
            closeConnection()
            return
        }
        if !closeWaiters.isEmpty {
            // A stalled response waits for the client, which has gone.
            closeConnection()
        } else {
            exchange.keepAlive = false
        }
    }

    func streamDidBecomeWritable() {
        current?.notifyWritable(true)
    }

    func streamDidClose(error: TransportError?) {
        isClosed = true
        idleTimer?.cancel()
        drain.connectionClosed()
        if let exchange = current {
            current = nil
            if !exchange.requestEnded {
                let reason = "the connection closed before the request ended"
                exchange.body?.fail(TestServerError(.connectionClosed, reason, underlying: error))
                context.recorder.finish(exchange.recordSequence, trailers: nil, failure: reason)
            }
            exchange.task?.cancel()
            exchange.notifyWritable(false)
        }
        let closeWaiters = self.closeWaiters
        self.closeWaiters = []
        for waiter in closeWaiters { waiter() }
        context.connectionClosed(id)
    }

    // MARK: - Conversions

    static func fields(from fields: HTTP1Fields) -> HTTPFields {
        var result = HTTPFields()
        result.reserveCapacity(fields.count)
        for field in fields {
            guard let name = HTTPField.Name(field.name) else { continue }
            result.append(HTTPField(name: name, value: field.value))
        }
        return result
    }

    static func pairs(_ fields: HTTPFields) -> [(name: String, value: String)] {
        fields.map { (name: $0.name.rawName, value: $0.value) }
    }

    static func reason(_ status: HTTPResponse.Status) -> String? {
        status.reasonPhrase.isEmpty ? nil : status.reasonPhrase
    }

    /// `http://host:port/path?q` → (`host:port`, `/path?q`); nil for other forms.
    static func splitAbsoluteForm(_ target: String) -> (String, String)? {
        let bytes = Array(target.utf8)
        guard bytes.first != UInt8(ascii: "/") else { return nil }
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: "/") && bytes[index + 2] == UInt8(ascii: "/") {
                break
            }
            index += 1
        }
        guard index + 2 < bytes.count else { return nil }
        let rest = bytes[(index + 3)...]
        guard let end = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
            return (String(decoding: rest, as: UTF8.self), "/")
        }
        let authority = String(decoding: rest[..<end], as: UTF8.self)
        let path = String(decoding: rest[end...], as: UTF8.self)
        return (authority, path.hasPrefix("?") ? "/" + path : path)
    }
}

extension EventLoop {
    /// Runs `work` now when called on this loop, otherwise soon on it.
    func runOnLoop(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop { work() } else { execute(work) }
    }
}
