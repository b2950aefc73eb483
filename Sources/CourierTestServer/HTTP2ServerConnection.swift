import CourierCore
import CourierHPACK
import CourierHTTP2
import CourierReactor
import CourierTransport
import HTTPTypes

/// The server side of an HTTP/2 connection (RFC 9113): the `HTTP2Connection` state machine in its server
/// role, driven over a byte stream, with each request stream handed to its handler as a task on this loop.
///
/// Theory of operation. Received bytes go to the state machine; its events are handled one at a time: a
/// request head starts a stream (recorded, routed, dispatched), DATA flows into the stream's `BodyStream`
/// and is credited back to the client (WINDOW_UPDATE) as the handler consumes it, so flow control is the
/// backpressure; resets and closes wake whatever waits on the stream. Responses go out as HEADERS, DATA
/// (held back per stream while flow control or the socket says no, resumed on `windowOpened` or
/// writability) and END_STREAM or trailers. Frames are queued in the state machine and moved to the socket
/// once per loop iteration (or before a drain check), so many streams' frames leave in one write. The
/// machine's deadlines (SETTINGS timeout, flood windows) run on a loop timer. Connection errors and a
/// finished GOAWAY close the connection once the output has drained.
final class HTTP2ServerConnection: ByteStreamHandler, LoopFlushable, @unchecked Sendable {
    // Sendable proof: every stored `var` is touched only on `socket.loop`: the ByteStream callbacks, the
    // loop's flush and timers run there, the streams' channel methods are called by response senders (actors
    // on that loop), and the body-stream callbacks, which may run elsewhere, hop to the loop first.

    let id: UInt64
    let stream: any ByteStream
    let socket: StreamConnection
    /// Set while the connection lingers before closing (see `lingerAndClose`).
    private var lingerTimer: ScheduledTask?
    let context: ServerContext
    let scheme: String
    var loop: EventLoop { socket.loop }

    private var machine: HTTP2Connection
    private var streams: [HTTP2StreamID: HTTP2ServerStream] = [:]
    private(set) var isClosed = false
    private var processing = false
    private var flushScheduled = false
    private var timer: ScheduledTask?
    private var timerDeadline: Timestamp?
    private var idleTimer: ScheduledTask?
    private let drain: OutputDrain
    private var requestsOnConnection = 0
    /// Close once the output drained (a connection error, or GOAWAY with no stream left).
    private var closing = false
    /// A GOAWAY with a last-stream-id of our choosing was written outside the state machine: streams above
    /// it are abandoned, and the connection closes once the others are done.
    private var chosenGoAway: HTTP2StreamID?

    init(id: UInt64, stream: any ByteStream, socket: StreamConnection, context: ServerContext, isTLS: Bool) {
        self.id = id
        self.stream = stream
        self.socket = socket
        self.context = context
        self.scheme = isTLS ? "https" : "http"
        self.machine = HTTP2Connection(role: .server, configuration: context.configuration.http2, now: SystemClock.now())
        self.drain = OutputDrain(stream: stream, socket: socket)
    }

    /// Takes over the stream; `initialBytes` were read already (the client preface, while sniffing).
    func start(initialBytes: ByteBuffer) {
        loop.assertInEventLoop()
        stream.start(handler: self)
        if initialBytes.readableBytes > 0 { machine.receive(initialBytes) }
        armIdleTimer()
        processEvents()
    }

    /// Whether streams can still send: the connection is open and the state machine has not failed or sent
    /// an error GOAWAY.
    var acceptsCommands: Bool { !isClosed && !machine.isClosed }

    /// False while the socket has too much queued (what the state machine holds is moved there first).
    var isWritable: Bool {
        if machine.hasPendingOutput { flushNow() }
        return stream.isWritable
    }

    // MARK: - Events

    private func processEvents() {
        guard !processing, !isClosed else { return }
        processing = true
        while let event = machine.nextEvent() {
            handle(event)
            if isClosed { break }
        }
        processing = false
        scheduleFlush()
        rescheduleTimer()
    }

    private func handle(_ event: HTTP2Event) {
        switch event {
        case .request(let streamID, let head, let endStream):
            beginRequest(streamID, head, endStream: endStream)
        case .data(let streamID, let bytes, let endStream):
            receivedData(streamID, bytes, endStream: endStream)
        case .trailers(let streamID, let fields):
            endRequest(streamID, trailers: Self.fields(from: fields))
        case .windowOpened(let streamID):
            if let channel = streams[streamID] { sendPending(channel) }
        case .streamClosed(let streamID):
            streamGone(streamID, failure: nil)
        case .streamReset(let streamID, let code):
            streamGone(streamID, failure: "the client reset the stream (\(code))")
        case .streamError(let streamID, let error):
            context.recorder.protocolError("connection \(id) stream \(streamID): \(error)")
            streamGone(streamID, failure: "the request broke HTTP/2: \(error)")
        case .connectionError(let error):
            context.recorder.protocolError("connection \(id): \(error)")
            closeWhenDrained()
        case .readyToClose:
            closeWhenDrained()
        case .goAway, .remoteSettings, .settingsAcknowledged, .pingAcknowledged, .streamStarted,
             .informationalResponse, .response:
            break
        }
    }

    private func beginRequest(_ streamID: HTTP2StreamID, _ head: HTTP2RequestHead, endStream: Bool) {
        idleTimer?.cancel()
        idleTimer = nil
        guard let method = HTTPRequest.Method(head.method) else {
            machine.resetStream(streamID, code: .protocolError)
            return
        }
        if let chosenGoAway, streamID > chosenGoAway {
            // Opened before the client saw our GOAWAY: it will retry elsewhere; never answer it.
            machine.resetStream(streamID, code: .refusedStream)
            return
        }
        requestsOnConnection += 1
        let configuration = context.configuration
        var request = TestRequest(method: method, target: head.path ?? head.authority ?? "", authority: head.authority,
                                  scheme: head.scheme ?? scheme, headerFields: Self.fields(from: head.fields),
                                  protocolVersion: .http2, connectionID: id)
        request.streamID = Int(streamID.rawValue)
        request.requestNumberOnConnection = requestsOnConnection
        request.remoteAddress = socket.remoteAddress
        let body = endStream ? nil : BodyStream(highWatermark: configuration.requestBodyBufferSize,
                                                lowWatermark: configuration.requestBodyBufferSize / 4,
                                                reportsWhenConsumerWaits: true)
        let sequence = context.recorder.begin(request, hasBody: !endStream)
        let channel = HTTP2ServerStream(connection: self, id: streamID, body: body, recordSequence: sequence,
                                        isHeadRequest: method == .head)
        channel.requestEnded = endStream
        streams[streamID] = channel
        if let body {
            let loop = self.loop
            body.setCallbacks(
                onConsumed: { [weak self] bytes in
                    guard let self else { return }
                    loop.runOnLoop { self.bodyConsumed(channel, bytes: bytes) }
                },
                onCancel: { [weak self] in
                    guard let self else { return }
                    loop.runOnLoop { self.bodyAbandoned(channel) }
                })
        }
        if let limit = configuration.maximumRequestsPerConnection, requestsOnConnection >= limit {
            if configuration.announcesConnectionClose {
                machine.goAway(code: .noError)
            } else {
                channel.closeSilently = true
            }
        }
        let declared = head.fields.firstValue(for: "content-length").flatMap { Int($0) }
        request.body = TestRequestBody(stream: body, declaredLength: endStream ? 0 : declared, willRead: nil)
        channel.task = context.dispatch(request, on: channel)
    }

    private func receivedData(_ streamID: HTTP2StreamID, _ bytes: ByteBuffer, endStream: Bool) {
        guard let channel = streams[streamID] else {
            machine.consumed(streamID, bytes: bytes.readableBytes)
            return
        }
        context.recorder.appendBody(channel.recordSequence, bytes)
        if let body = channel.body, !channel.discardingBody {
            channel.delivered += bytes.readableBytes
            body.yield(bytes)
        } else {
            machine.consumed(streamID, bytes: bytes.readableBytes)
        }
        if endStream { endRequest(streamID, trailers: nil) }
    }

    private func endRequest(_ streamID: HTTP2StreamID, trailers: HTTPFields?) {
        guard let channel = streams[streamID], !channel.requestEnded else { return }
        channel.requestEnded = true
        channel.body?.finish(trailers: trailers)
        context.recorder.finish(channel.recordSequence, trailers: trailers, failure: nil)
    }

    private func bodyConsumed(_ channel: HTTP2ServerStream, bytes: Int) {
        guard !isClosed else { return }
        credit(channel, bytes)
        processEvents()
    }

    private func bodyAbandoned(_ channel: HTTP2ServerStream) {
        guard !isClosed, !channel.requestEnded else { return }
        channel.discardingBody = true
        credit(channel, channel.delivered - channel.credited)
        processEvents()
    }

    /// Returns flow-control credit for DATA the handler took (or will never take).
    private func credit(_ channel: HTTP2ServerStream, _ bytes: Int) {
        let amount = min(bytes, channel.delivered - channel.credited)
        guard amount > 0 else { return }
        channel.credited += amount
        machine.consumed(channel.id, bytes: amount)
    }

    /// The stream closed or was reset: wake its waiters, stop its handler if it was cut off.
    private func streamGone(_ streamID: HTTP2StreamID, failure: String?) {
        guard let channel = streams.removeValue(forKey: streamID) else { return }
        credit(channel, channel.delivered - channel.credited)
        if !channel.requestEnded {
            let reason = failure ?? "the stream closed before the request ended"
            channel.body?.fail(TestServerError(.connectionClosed, reason))
            context.recorder.finish(channel.recordSequence, trailers: nil, failure: reason)
        }
        if failure != nil { channel.task?.cancel() }
        channel.markClosed()
        if channel.closeSilently { closeWhenDrained() }
        if streams.isEmpty {
            if chosenGoAway != nil { closeWhenDrained() }
            armIdleTimer()
        }
    }

    // MARK: - Responses (called through the streams' channel methods)

    private func checkOpen(_ channel: HTTP2ServerStream) throws(TestServerError) {
        guard !channel.isClosed, !channel.responseEnded else {
            throw TestServerError(.connectionClosed, "the stream closed")
        }
    }

    func sendHead(_ channel: HTTP2ServerStream, status: HTTPResponse.Status, fields: HTTPFields, bodyLength: Int?,
                  informational: Bool) throws(TestServerError) {
        try checkOpen(channel)
        var list = HPACKHeaderList(byteCapacity: 256, fieldCapacity: fields.count + 2)
        list.append(name: ":status", value: String(status.code))
        for field in fields {
            let name = field.name.canonicalName
            switch name {
            case "connection":
                if field.value.lowercased().contains("close") { channel.closeSilently = true }
                continue
            case "content-length", "transfer-encoding", "keep-alive", "proxy-connection", "upgrade":
                continue
            case "te" where field.value.lowercased() != "trailers":
                continue
            default:
                list.append(name: name, value: field.value)
            }
        }
        let code = status.code
        let noContent = code == 204 || code == 304 || informational
        if let bodyLength, !noContent { list.append(name: "content-length", value: String(bodyLength)) }
        let endStream = !informational && (noContent || channel.isHeadRequest || bodyLength == 0)
        do {
            try machine.sendHeaders(channel.id, list, endStream: endStream)
        } catch {
            throw TestServerError(.invalidResponse, "response head \(code): \(error)", underlying: error)
        }
        if !informational {
            channel.headSent = true
            context.recorder.responded(channel.recordSequence, status: code)
            if endStream { responseFinished(channel) }
        }
        afterCommand()
    }

    func sendBody(_ channel: HTTP2ServerStream, _ chunk: ByteBuffer) throws(TestServerError) {
        try checkOpen(channel)
        channel.pending.append(chunk)
        sendPending(channel)
        afterCommand()
    }

    func sendEnd(_ channel: HTTP2ServerStream, trailers: HTTPFields?) throws(TestServerError) {
        guard !channel.responseEnded else { return }  // ended with the head (no body)
        try checkOpen(channel)
        channel.pendingEnd = .some(trailers)
        responseFinished(channel)
        sendPending(channel)
        afterCommand()
    }

    /// The response is complete (its end may still wait for flow control). A request body still coming is
    /// read and credited back from now on, so the client can finish sending it and the stream can close.
    private func responseFinished(_ channel: HTTP2ServerStream) {
        channel.responseEnded = true
        if !channel.requestEnded {
            channel.discardingBody = true
            channel.body?.cancel()
            credit(channel, channel.delivered - channel.credited)
        }
    }

    /// Sends the stream's held-back DATA as flow control allows, then its end once nothing is left.
    private func sendPending(_ channel: HTTP2ServerStream) {
        guard !channel.isClosed else { return }
        do {
            while var first = channel.pending.first {
                try machine.sendData(channel.id, &first, endStream: false)
                if first.readableBytes > 0 {
                    channel.pending[0] = first
                    break
                }
                channel.pending.removeFirst()
            }
            if channel.pending.isEmpty, let end = channel.pendingEnd {
                channel.pendingEnd = nil
                if let trailers = end {
                    var list = HPACKHeaderList(byteCapacity: 128, fieldCapacity: trailers.count)
                    for field in trailers { list.append(name: field.name.canonicalName, value: field.value) }
                    try machine.sendTrailers(channel.id, list)
                } else {
                    var empty = ByteBuffer(capacity: 0)
                    try machine.sendData(channel.id, &empty, endStream: true)
                }
            }
        } catch {
            context.recorder.handlerError("connection \(id) stream \(channel.id): \(error)")
            machine.resetStream(channel.id, code: .internalError)
            streamGone(channel.id, failure: "the response could not be sent: \(error)")
        }
        channel.notifyWritable()
    }

    /// Handles what a command queued (a closed stream, readiness to close) and schedules the flush.
    private func afterCommand() {
        processEvents()
    }

    // MARK: - Faults and closing

    func interrupt(_ channel: HTTP2ServerStream, _ interruption: TestFault.Interruption) {
        guard !isClosed else { return }
        switch interruption {
        case .drop(let closeNotify):
            flushNow()
            if closeNotify { stream.close(error: nil) } else { socket.close() }
        case .reset(let code):
            reset(channel, code: CourierHTTP2.HTTP2ErrorCode(code))
        case .stall:
            break
        case .truncateChunked:
            flushNow()
            lingerAndClose()
        }
    }

    /// Ends the connection after what was sent without risking a reset: stops sending (FIN once the queue is
    /// out) and discards what the client still sends (WINDOW_UPDATE, acks) until it closes or a second
    /// passes, so the client reads every byte and then the end (a close with unread input would send a RST,
    /// which may reach the client before the data). Over TLS the close_notify path closes as before.
    private func lingerAndClose() {
        guard lingerTimer == nil else { return }
        if scheme == "https" {
            stream.close(error: nil)
            return
        }
        socket.shutdownOutput()
        lingerTimer = stream.loop.scheduleLocal(at: SystemClock.now() + .seconds(1)) { [weak self] in
            self?.stream.close(error: nil)
        }
    }

    func reset(_ channel: HTTP2ServerStream, code: CourierHTTP2.HTTP2ErrorCode) {
        guard !isClosed, !channel.closed else { return }
        machine.resetStream(channel.id, code: code)
        streamGone(channel.id, failure: code == .refusedStream ? "refused" : "reset by the server (\(code))")
        processEvents()
    }

    /// Sends GOAWAY: through the state machine when it names the highest stream the client opened (graceful
    /// with NO_ERROR), or written directly when a lower last-stream-id was chosen, in which case the streams
    /// above it are abandoned unanswered, as the client will retry them.
    func goAway(lastStreamID: HTTP2StreamID, errorCode: CourierHTTP2.HTTP2ErrorCode) {
        guard !isClosed, chosenGoAway == nil, !machine.isGoingAway else { return }
        let highest = streams.keys.max() ?? lastStreamID
        if lastStreamID >= highest {
            machine.goAway(code: errorCode)
            if errorCode != .noError { closeWhenDrained() }
            processEvents()
            return
        }
        flushNow()
        var frame = ByteBuffer(capacity: 17)
        HTTP2FrameEncoder.writeGoAway(lastStreamID: lastStreamID, errorCode: errorCode, debugData: ByteBuffer(capacity: 0),
                                      into: &frame)
        stream.write(frame)
        chosenGoAway = lastStreamID
        for (streamID, channel) in streams where streamID > lastStreamID {
            streams[streamID] = nil
            channel.task?.cancel()
            channel.body?.fail(TestServerError(.connectionClosed, "above the GOAWAY's last stream id"))
            context.recorder.finish(channel.recordSequence, trailers: nil, failure: "abandoned by GOAWAY")
            channel.markClosed()
        }
        if errorCode != .noError || streams.isEmpty { closeWhenDrained() }
    }

    func whenDrained(_ callback: @escaping (Bool) -> Void) {
        guard !isClosed else {
            callback(false)
            return
        }
        flushNow()
        drain.whenDrained(callback)
    }

    private func closeWhenDrained() {
        guard !closing, !isClosed else { return }
        closing = true
        whenDrained { [weak self] _ in
            guard let self, !self.isClosed else { return }
            self.stream.close(error: nil)
        }
    }

    private func armIdleTimer() {
        guard let timeout = context.configuration.idleTimeout, !isClosed, streams.isEmpty else { return }
        idleTimer?.cancel()
        idleTimer = loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
            guard let self, self.streams.isEmpty, !self.isClosed else { return }
            self.machine.goAway(code: .noError)
            self.closeWhenDrained()
            self.processEvents()
        }
    }

    // MARK: - Output and timers

    private func scheduleFlush() {
        guard !flushScheduled, machine.hasPendingOutput, !isClosed else { return }
        flushScheduled = true
        loop.flushAtEndOfIteration(self)
    }

    /// Moves the frames the state machine queued to the socket.
    func flushNow() {
        flushScheduled = false
        guard !isClosed, machine.hasPendingOutput else { return }
        var out = ByteBuffer(capacity: 0)
        machine.flushOutput(into: &out)
        stream.write(out)
    }

    private func rescheduleTimer() {
        guard let deadline = machine.nextDeadline, !isClosed else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = loop.scheduleLocal(at: deadline) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.timer = nil
            self.timerDeadline = nil
            self.machine.timeTick(now: SystemClock.now())
            self.processEvents()
        }
    }

    // MARK: - ByteStreamHandler

    func streamDidRead(_ buffer: inout ByteBuffer) {
        guard lingerTimer == nil else {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return
        }
        machine.receive(buffer.readAll())
        processEvents()
    }

    func streamDidReadEOF(_ end: EndOfInput) {
        // The client is gone (HTTP/2 has no half-close of the connection).
        flushNow()
        stream.close(error: nil)
    }

    func streamDidBecomeWritable() {
        for channel in streams.values {
            sendPending(channel)
        }
        scheduleFlush()
    }

    func streamDidClose(error: TransportError?) {
        isClosed = true
        timer?.cancel()
        idleTimer?.cancel()
        lingerTimer?.cancel()
        drain.connectionClosed()
        let gone = streams
        streams = [:]
        for channel in gone.values {
            if !channel.requestEnded {
                let reason = "the connection closed before the request ended"
                channel.body?.fail(TestServerError(.connectionClosed, reason, underlying: error))
                context.recorder.finish(channel.recordSequence, trailers: nil, failure: reason)
            }
            channel.task?.cancel()
            channel.markClosed()
        }
        context.connectionClosed(id)
    }

    // MARK: - Conversions

    static func fields(from fields: HTTP2HeaderFields) -> HTTPFields {
        var result = HTTPFields()
        result.reserveCapacity(fields.count)
        for field in fields {
            guard let name = HTTPField.Name(field.name) else { continue }
            result.append(HTTPField(name: name, value: field.value))
        }
        return result
    }
}
