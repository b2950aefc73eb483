import CourierCore
import CourierReactor
import CourierHPACK
import CourierHTTP2
import HTTPTypes
import Synchronization

/// An HTTP/2 client connection over a byte stream: many exchanges at once, one per stream.
///
/// Theory of operation. The `HTTP2Connection` state machine does the protocol; this driver feeds it the bytes
/// the stream reads, turns its events into exchange updates (heads resume awaiting tasks, DATA goes to body
/// streams), and writes its output once per loop iteration. Flow control is driven by consumption: a stream's
/// window reopens only as the application reads its body (the body stream reports consumed bytes), so a slow
/// reader slows the server and memory stays bounded. Request bodies go out as windows allow; a writer whose
/// bytes did not all fit waits until `windowOpened`. GOAWAY fails the streams the server never processed with
/// a retryable error and tells the pool to stop using the connection; PINGs keep an idle connection honest.
public final class HTTP2ClientConnection: ClientConnection, @unchecked Sendable {
    // Sendable proof: all stored `var`s are touched only on `stream.loop`: ByteStream and timer callbacks run
    // there, exchange calls come from tasks on the loop, and body-stream callbacks hop to the loop first.

    private static let ids = Atomic<UInt64>(1)

    /// A class: updating a stream's fields in place through the dictionary (`streams[id]?.x = y`) would go
    /// through its modify accessor, which allocated on every access.
    private final class StreamContext {
        let exchange: ClientExchange
        /// Request body bytes the window did not let out yet.
        var pending = ByteBuffer(capacity: 0)
        /// Whether END_STREAM goes out after `pending`.
        var endAfterPending = false
        var trailersAfterPending: HPACKHeaderList?
        /// DATA bytes received, and those already given back to flow control.
        var received = 0
        var credited = 0
        /// When the server last sent something for this stream, the application last consumed part of its
        /// body, or a window let more of the request body out.
        var lastActivity: Timestamp

        init(exchange: ClientExchange, lastActivity: Timestamp) {
            self.exchange = exchange
            self.lastActivity = lastActivity
        }
    }

    public let connectionID: UInt64
    /// Setup timings waiting for the first request that uses the connection (when collected).
    private let setupMetrics = Locked<ConnectionSetupMetrics?>(nil)

    public func attachSetupMetrics(_ metrics: ConnectionSetupMetrics) { setupMetrics.withLock { $0 = metrics } }

    public func takeSetupMetrics() -> ConnectionSetupMetrics? {
        setupMetrics.withLock { metrics in
            defer { metrics = nil }
            return metrics
        }
    }
    /// The byte stream (plain or TLS) the connection runs on.
    public let stream: any ByteStream
    public var loop: EventLoop { stream.loop }
    public var protocolVersion: HTTPProtocolVersion { .http2 }
    public weak var delegate: (any ClientConnectionDelegate)?
    // The state machine and its byte buffers skip Swift's run-time exclusivity checks (~75 instructions per
    // access, a dozen per request). Sound because only the loop thread touches them and an access spans
    // nothing but the machine's own code (a value in CourierHTTP2 with no way back to this connection):
    // events are taken out of the machine before they are handled. `streams` keeps its checks: exchanges are
    // called through it, and an exchange may end its stream from inside the call.
    @exclusivity(unchecked) private var machine: HTTP2Connection
    private var streams: [HTTP2StreamID: StreamContext] = [:]
    /// DATA of one stream from the current read not yet handed to its body: consecutive frames of a stream are
    /// handed over as one chunk of up to `coalescedChunkSize` bytes (servers send 8–16 KiB frames, and each chunk
    /// costs the body's consumer a wake-up, an iteration and often a write of its own).
    private var heldData: (id: HTTP2StreamID, bytes: ByteBuffer)?
    private static let coalescedChunkSize = 64 * 1024
    @exclusivity(unchecked) private var out = ByteBuffer(capacity: 0)
    @exclusivity(unchecked) private var readBuffer = ByteBuffer(capacity: 0)
    private var flushScheduled = false
    private var closed = false
    private var draining = false
    private var timer: ScheduledTask?
    private let readTimeout: Duration?
    private var silenceTimer: ScheduledTask?
    /// The time of the current batch of events (one clock read per read, not per frame).
    private var batchTime = SystemClock.now()
    private var timerDeadline: Timestamp?
    private var settingsWaiters: [UnsafeContinuation<Void, Never>] = []
    private var settingsReceived = false
    private var lastReportedMaximum = 0
    /// Why the connection failed, when it did (a protocol error of the server, a socket error).
    public private(set) var failure: TransportError?
    private var lastRead = SystemClock.now()
    /// The last response's fields, reused while the server keeps sending the same ones.
    private var fieldCache = ResponseFieldCache()
    /// The list request heads are gathered in, kept for its capacity (a stream the machine queues keeps its
    /// own copy: the next request then writes to fresh storage).
    private var requestHead = HPACKHeaderList(byteCapacity: 256, fieldCapacity: 16)

    /// Wraps a connected stream, sends the connection preface and our SETTINGS, and starts reading.
    ///
    /// `readTimeout` bounds a stream's silence: no frame for it and no consumption by the application for
    /// that long fails it with `readTimeout` (or `writeTimeout` while its request body waits for a window).
    public init(stream: any ByteStream, configuration: HTTP2Configuration = HTTP2Configuration(),
                readTimeout: Duration? = nil) {
        connectionID = Self.ids.wrappingAdd(1, ordering: .relaxed).oldValue
        self.stream = stream
        self.readTimeout = readTimeout
        machine = HTTP2Connection(role: .client, configuration: configuration, now: SystemClock.now())
        stream.start(handler: self)
        scheduleFlush()
        rearmTimer()
    }

    public var isAvailable: Bool { !closed && !draining && machine.canOpenStream }
    public var maximumConcurrentStreams: Int { machine.peerMaxConcurrentStreams }

    /// Waits until the server's first SETTINGS arrived (so its stream limit is known) or the connection closed.
    public func waitForSettings() async {
        loop.assertInEventLoop()
        if settingsReceived || closed { return }
        await withUnsafeContinuation { continuation in
            if settingsReceived || closed { continuation.resume() } else { settingsWaiters.append(continuation) }
        }
    }

    public func startExchange(_ request: HTTPRequest, bodyLength: RequestBodyLength, inlineBody: ByteBuffer?,
                              expectContinue: Bool) throws(TransportError) -> ClientExchange {
        loop.assertInEventLoop()
        guard !closed, !draining else {
            throw TransportError(.connectionClosed, "the connection is closing", requestNotProcessed: true)
        }
        var head = HPACKHeaderList(byteCapacity: 0, fieldCapacity: 0)
        swap(&head, &requestHead)
        head.removeAll(keepingCapacity: true)
        defer {
            // A head far larger than usual is not kept for the connection's lifetime.
            if head.bytes.capacity > 16 << 10 { head = HPACKHeaderList(byteCapacity: 256, fieldCapacity: 16) }
            swap(&head, &requestHead)
        }
        // Read once: the getter parses the method from its pseudo-header field on every call.
        let method = request.method
        head.append(name: ":method", value: method.rawValue)
        head.append(name: ":scheme", value: request.scheme ?? "https")
        head.append(name: ":authority", value: request.authority ?? "")
        head.append(name: ":path", value: request.path ?? "/")
        for field in request.headerFields where !Self.isLeftOut(field.name) {
            if field.name == .te && field.value.lowercased() != "trailers" { continue }
            head.append(name: field.name.canonicalName, value: field.value,
                        indexing: field.indexingStrategy == .disallow ? .neverIndexed : .indexable)
        }
        if case .known(let length) = bodyLength, request.headerFields[.contentLength] == nil {
            head.append(name: "content-length", value: String(length))
        }
        if expectContinue { head.append(name: "expect", value: "100-continue") }
        let noBody: Bool
        switch bodyLength {
        case .none: noBody = true
        case .known(0): noBody = true
        default: noBody = inlineBody?.readableBytes == 0
        }
        let opened: HTTP2OpenedStream
        do {
            opened = try machine.openStream(head, endStream: noBody)
        } catch {
            throw Self.transportError(error, requestNotProcessed: true)
        }
        let body = BodyStream(highWatermark: Int(machine.configuration.initialWindowSize), lowWatermark: 0,
                              consumedReportThreshold: max(16 * 1024, Int(machine.configuration.initialWindowSize) / 4),
                              reportsWhenConsumerWaits: true)
        let exchange = ClientExchange(loop: loop, method: method, driver: self, body: body)
        let id = opened.id
        exchange.streamToken = id.rawValue
        // The stream holds the connection (its driver) until the body ends or is cancelled.
        body.setDriver(self, token: id.rawValue)
        let context = StreamContext(exchange: exchange, lastActivity: SystemClock.now())
        if noBody {
            exchange.markRequestSent()
        } else if let inlineBody {
            context.pending = inlineBody
            context.endAfterPending = true
        }
        streams[id] = context
        if !noBody, inlineBody != nil { pump(id) }
        scheduleFlush()
        armSilenceTimer()
        return exchange
    }

    /// Fields HTTP/2 does not carry (connection-specific, RFC 9113 §8.2.2) or that this connection writes
    /// itself (`host` travels as `:authority`, `content-length` comes from the body). Matched by length
    /// first: hashing each request field's name into a set cost ~350 instructions.
    private static func isLeftOut(_ name: HTTPField.Name) -> Bool {
        let canonical = name.canonicalName
        switch canonical.utf8.count {
        case 4: return canonical == "host"
        case 7: return canonical == "upgrade"
        case 10: return canonical == "connection" || canonical == "keep-alive"
        case 14: return canonical == "content-length"
        case 16: return canonical == "proxy-connection"
        case 17: return canonical == "transfer-encoding"
        default: return false
        }
    }

    public func close(error: TransportError?) {
        loop.assertInEventLoop()
        guard !closed else { return }
        failAll(error ?? TransportError(.connectionClosed, "the connection was closed"))
        _ = machine.goAway(code: .noError)
        flushNow()
        stream.close(error: error)
    }

    public func closeGracefully() {
        loop.assertInEventLoop()
        guard !draining, !closed else { return }
        draining = true
        _ = machine.goAway(code: .noError)
        scheduleFlush()
        if streams.isEmpty {
            stream.close(error: nil)
        } else {
            // The pool must stop handing the connection out (it may not be the one closing it).
            delegate?.connectionGoingAway(self)
        }
    }

    // MARK: - Events

    private func processEvents() {
        batchTime = SystemClock.now()
        while let event = machine.nextEvent(from: &readBuffer) {
            handle(event)
        }
        // Everything read was taken (DATA payloads are slices of it, held by the bodies): let go of the storage
        // rather than clearing it, which would allocate a fresh one of the same size while the slices live.
        if readBuffer.readableBytes == 0 { readBuffer = ByteBuffer(capacity: 0) }
        scheduleFlush()
        rearmTimer()
    }

    private func handle(_ event: HTTP2Event) {
        if let held = heldData {
            // Anything but more DATA of the held stream comes after what is held.
            if case .data(let id, _, _) = event, id == held.id {} else { handOverHeldData() }
        }
        switch event {
        case .remoteSettings:
            let maximum = machine.peerMaxConcurrentStreams
            if !settingsReceived {
                settingsReceived = true
                lastReportedMaximum = maximum
                let waiters = settingsWaiters
                settingsWaiters.removeAll()
                for waiter in waiters { waiter.resume() }
            } else if maximum != lastReportedMaximum {
                lastReportedMaximum = maximum
                delegate?.connection(self, maximumStreamsChanged: maximum)
            }
        case .settingsAcknowledged, .streamStarted, .pingAcknowledged:
            break
        case .informationalResponse(let id, let head):
            streams[id]?.lastActivity = batchTime
            streams[id]?.exchange.receivedInformational(response(head))
        case .response(let id, let head, let endStream):
            guard let context = streams[id] else { return }
            streams[id]?.lastActivity = batchTime
            context.exchange.receivedHead(response(head))
            if endStream { context.exchange.body.finish() }
        case .data(let id, let bytes, let endStream):
            guard let context = streams[id] else {
                machine.consumed(id, bytes: bytes.readableBytes)
                return
            }
            streams[id]?.received += bytes.readableBytes
            streams[id]?.lastActivity = batchTime
            if bytes.readableBytes > 0 { hold(bytes, of: id) }
            if endStream {
                handOverHeldData()
                context.exchange.body.finish()
            }
        case .trailers(let id, let fields):
            streams[id]?.exchange.body.finish(trailers: self.fields(fields))
        case .windowOpened(let id):
            guard streams[id] != nil else { return }
            streams[id]?.lastActivity = batchTime
            pump(id)
        case .streamClosed(let id):
            streamFinished(id)
        case .streamReset(let id, let code):
            guard let context = removeStream(id) else { return }
            let refused = code == .refusedStream
            context.exchange.fail(TransportError(refused ? .streamRefused : .streamReset,
                                                 "the server reset the stream (\(code))", requestNotProcessed: refused))
            delegate?.connection(self, finishedExchangeReusable: true)
        case .streamError(let id, let error):
            guard let context = removeStream(id) else { return }
            context.exchange.fail(Self.transportError(error, requestNotProcessed: false))
            delegate?.connection(self, finishedExchangeReusable: true)
        case .goAway(let goAway):
            for id in goAway.unprocessedStreams {
                guard let context = removeStream(id) else { continue }
                context.exchange.fail(TransportError(.streamRefused, "the server is going away and did not process the request",
                                                     requestNotProcessed: true))
            }
            if !draining {
                draining = true
                delegate?.connectionGoingAway(self)
            }
            if streams.isEmpty { stream.close(error: nil) }
        case .connectionError(let error):
            if failure == nil { failure = Self.transportError(error, requestNotProcessed: false) }
            failAll(Self.transportError(error, requestNotProcessed: false), markingUnansweredStale: false)
            flushNow()
            stream.close(error: Self.transportError(error, requestNotProcessed: false))
        case .readyToClose:
            flushNow()
            stream.close(error: nil)
        case .request:
            break
        }
    }

    /// Adds a DATA payload to what is held for its stream (the first is held as it is, a view of the read).
    private func hold(_ bytes: ByteBuffer, of id: HTTP2StreamID) {
        guard var held = heldData, held.id == id,
              held.bytes.readableBytes + bytes.readableBytes <= Self.coalescedChunkSize else {
            handOverHeldData()
            heldData = (id, bytes)
            return
        }
        heldData = nil  // the held buffer is uniquely referenced while it grows
        if held.bytes.writableBytes < bytes.readableBytes {
            // Room for the rest of this read's DATA, up to a chunk: one copy of the first payload, then appends.
            let expected = min(Self.coalescedChunkSize, held.bytes.readableBytes + bytes.readableBytes + readBuffer.readableBytes)
            held.bytes.reserveCapacity(minimumWritableBytes: expected - held.bytes.readableBytes)
        }
        held.bytes.writeBuffer(bytes)
        heldData = held
    }

    /// Hands the held DATA to its body.
    private func handOverHeldData() {
        guard let held = heldData else { return }
        heldData = nil
        streams[held.id]?.exchange.body.yield(held.bytes)
    }

    private func streamFinished(_ id: HTTP2StreamID) {
        guard let context = removeStream(id) else { return }
        if context.exchange.body.endState == nil {
            // Closed without a complete response (reset handled elsewhere): report the cut.
            context.exchange.fail(TransportError(.connectionClosed, "the stream closed before the response completed"))
        } else {
            context.exchange.completed()
        }
        delegate?.connection(self, finishedExchangeReusable: true)
        if draining && streams.isEmpty { stream.close(error: nil) }
    }

    /// The application read `bytes` of a stream's body: reopen the window by that much. Reports arriving after
    /// the stream ended are ignored (its remaining bytes were credited when it ended).
    private func consumed(_ id: HTTP2StreamID, bytes: Int) {
        guard !closed, let context = streams[id] else { return }
        let credit = min(bytes, context.received - context.credited)
        guard credit > 0 else { return }
        context.credited += credit
        context.lastActivity = SystemClock.now()
        machine.consumed(id, bytes: credit)
        scheduleFlush()
    }

    /// Forgets a stream, giving back to the connection window whatever it received and nobody consumed yet
    /// (its body stream still holds those bytes; the stream window no longer matters).
    @discardableResult
    private func removeStream(_ id: HTTP2StreamID) -> StreamContext? {
        guard let context = streams.removeValue(forKey: id) else { return nil }
        if context.received > context.credited && !closed {
            machine.consumed(id, bytes: context.received - context.credited)
            scheduleFlush()
        }
        return context
    }

    private func reset(_ id: HTTP2StreamID, _ exchange: ClientExchange, _ error: TransportError) {
        removeStream(id)
        machine.resetStream(id, code: .cancel)
        exchange.fail(error)
        scheduleFlush()
        delegate?.connection(self, finishedExchangeReusable: true)
    }

    /// Fails every open stream. When the connection was lost (not when the server broke the protocol),
    /// streams that had no response yet are marked stale: idempotent requests among them may be retried on
    /// another connection.
    private func failAll(_ error: TransportError, markingUnansweredStale: Bool = true) {
        let all = streams
        streams.removeAll()
        for (_, context) in all {
            let stale = markingUnansweredStale && !context.exchange.responseStarted
            context.exchange.fail(stale ? error.markedStale(true) : error)
        }
    }

    // MARK: - Request bodies

    /// Sends what the windows allow of a stream's pending body; resumes its writer when everything left.
    private func pump(_ id: HTTP2StreamID) {
        guard let context = streams[id] else { return }
        let pendingBefore = context.pending.readableBytes
        do {
            if context.pending.readableBytes > 0 || context.endAfterPending {
                let end = context.endAfterPending && context.trailersAfterPending == nil
                _ = try machine.sendData(id, &context.pending, endStream: end)
            }
            if context.pending.readableBytes == 0, let trailers = context.trailersAfterPending {
                try machine.sendTrailers(id, trailers)
                context.trailersAfterPending = nil
            }
        } catch {
            removeStream(id)
            context.exchange.fail(Self.transportError(error, requestNotProcessed: false))
            machine.resetStream(id, code: .internalError)
            scheduleFlush()
            return
        }
        if context.pending.readableBytes < pendingBefore { context.lastActivity = SystemClock.now() }
        let done = context.pending.readableBytes == 0 && context.trailersAfterPending == nil
        if done && context.endAfterPending {
            context.endAfterPending = false
            context.exchange.markRequestSent()
        }
        scheduleFlush()
        if done { context.exchange.resumeWriter() }
    }

    // MARK: - Output and timers

    private func scheduleFlush() {
        guard !flushScheduled, !closed else { return }
        flushScheduled = true
        loop.flushAtEndOfIteration(self)
    }

    private func rearmTimer() {
        guard let deadline = machine.nextDeadlineInPlace(), !closed else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = loop.scheduleLocal(at: deadline) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.timerDeadline = nil
            self.machine.timeTick(now: SystemClock.now())
            self.processEvents()
            self.handOverHeldData()
        }
    }

    // MARK: - Silence (read and write) timeouts: one timer per period for all streams

    private func armSilenceTimer() {
        guard let timeout = readTimeout, silenceTimer == nil, !closed, !streams.isEmpty else { return }
        let oldest = streams.values.lazy.map(\.lastActivity).min() ?? SystemClock.now()
        silenceTimer = loop.scheduleLocal(at: oldest + timeout) { [weak self] in self?.silenceTimerFired() }
    }

    private func silenceTimerFired() {
        silenceTimer = nil
        guard let timeout = readTimeout, !closed else { return }
        let now = SystemClock.now()
        let before = streams.count
        for (id, context) in streams where now - context.lastActivity >= timeout {
            if context.exchange.body.bufferedBytes > 0 {
                // The application is the slow side: the server may be waiting for our window.
                streams[id]?.lastActivity = now
            } else if context.pending.readableBytes > 0 {
                reset(id, context.exchange, TransportError(.writeTimeout, "the server opened no window for the request body for \(timeout)"))
            } else {
                reset(id, context.exchange, TransportError(.readTimeout, "no response bytes for \(timeout)"))
            }
        }
        if now - lastRead >= timeout && streams.count < before {
            // Nothing at all arrived for that long: a half-open connection would swallow new streams too.
            closeGracefully()
        }
        armSilenceTimer()
    }

    // MARK: - Conversions

    func response(_ head: HTTP2ResponseHead) -> HTTPResponse {
        HTTPResponse(status: HTTPResponse.Status(code: head.status), headerFields: fields(head.fields))
    }

    func fields(_ fields: HTTP2HeaderFields) -> HTTPFields {
        fieldCache.fields(of: fields)
    }

    /// A response head over our limits is `limitExceeded`, as on HTTP/1.1; every other failure of the server
    /// to follow the protocol is `protocolViolation`.
    static func transportError(_ error: HTTP2Error, requestNotProcessed: Bool) -> TransportError {
        let limit = error.code == .headerListTooLarge || error.code == .headerBlockTooLarge
        return TransportError(limit ? .limitExceeded : .protocolViolation, error.description, underlying: error,
                              requestNotProcessed: requestNotProcessed)
    }
}

extension HTTP2ClientConnection: ByteStreamHandler {
    public func streamDidRead(_ buffer: inout ByteBuffer) {
        // A frame completed from the previous read joins this read's DATA of its stream.
        defer { handOverHeldData() }
        if readTimeout != nil { lastRead = SystemClock.now() }
        if readBuffer.readableBytes > 0 {
            // A frame was split across reads: copy only the bytes that complete it, decode it, and take the
            // rest of this read without copying (copying every read behind a partial frame was the main cost
            // of a download).
            completeSplitFrame(from: &buffer)
            if readBuffer.readableBytes > 0 || buffer.readableBytes == 0 {
                readBuffer.writeBuffer(buffer)
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                processEvents()
                return
            }
        }
        readBuffer = buffer.readAll()
        processEvents()
    }

    /// Moves from `buffer` to `readBuffer` what the frame begun in `readBuffer` still lacks (its header, then
    /// its payload) and decodes it. Leaves `readBuffer` non-empty when the frame is still incomplete or too
    /// large to complete this way (the decoder judges it then).
    private func completeSplitFrame(from buffer: inout ByteBuffer) {
        // The partial frame is the end of the previous read, whose storage the body chunks handed out share:
        // keep only its bytes, or growing it copies the whole previous read (40 MB per 100 MiB downloaded).
        readBuffer.discardReadBytes()
        let headerSize = HTTP2Frame.headerSize
        if readBuffer.readableBytes < headerSize {
            let moved = min(headerSize - readBuffer.readableBytes, buffer.readableBytes)
            readBuffer.writeBuffer(buffer.readSlice(length: moved)!)
        }
        guard let header = HTTP2FrameHeader(peekingAt: readBuffer),
              header.length <= machine.configuration.maxFrameSize else { return }
        let missing = headerSize + header.length - readBuffer.readableBytes
        if missing > 0 {
            let moved = min(missing, buffer.readableBytes)
            readBuffer.reserveCapacity(minimumWritableBytes: moved)
            readBuffer.writeBuffer(buffer.readSlice(length: moved)!)
            if moved < missing { return }
        }
        processEvents()
    }

    public func streamDidReadEOF(_ end: EndOfInput) {
        failAll(TransportError(.connectionClosed, end == .truncated ? "TLS ended without close_notify" : "the server closed the connection",
                               staleConnection: false))
        stream.close(error: nil)
    }

    public func streamDidBecomeWritable() {
        for id in streams.keys where streams[id]?.pending.readableBytes ?? 0 > 0 { pump(id) }
    }

    public func streamDidClose(error: TransportError?) {
        closed = true
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        silenceTimer?.cancel()
        silenceTimer = nil
        failAll(error ?? TransportError(.connectionClosed, "the connection closed"))
        let waiters = settingsWaiters
        settingsWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        delegate?.connectionClosed(self)
    }
}

extension HTTP2ClientConnection: LoopFlushable {
    /// Writes the frames the state machine produced during this loop iteration.
    public func flushNow() {
        flushScheduled = false
        guard machine.hasPendingOutput else { return }
        if out.capacity == 0 { out = ByteBuffer(capacity: 16 * 1024) }
        machine.flushOutput(into: &out)
        stream.write(out.readAll())
        out = ByteBuffer(capacity: 0)
    }
}

extension HTTP2ClientConnection: BodyStreamDriver {
    /// The application caught up: reading (HTTP/1.1) or the window (HTTP/2) may resume.
    public func bodyStream(_ stream: BodyStream, token: UInt32, consumed bytes: Int) {
        let id = HTTP2StreamID(token)
        if loop.inEventLoop { consumed(id, bytes: bytes) } else { loop.execute { self.consumed(id, bytes: bytes) } }
    }

    /// The application abandoned the body: the exchange is abandoned too.
    public func bodyStreamCancelled(_ stream: BodyStream, token: UInt32) {
        let id = HTTP2StreamID(token)
        let cancel: @Sendable () -> Void = {
            guard let exchange = self.streams[id]?.exchange, exchange.body === stream else { return }
            self.reset(id, exchange, TransportError(.cancelled, "the response body was abandoned"))
        }
        if loop.inEventLoop { cancel() } else { loop.execute(cancel) }
    }
}

extension HTTP2ClientConnection: ExchangeDriver {
    func exchange(_ exchange: ClientExchange, sendBody chunk: ByteBuffer) throws(TransportError) -> Bool {
        let id = HTTP2StreamID(exchange.streamToken)
        guard let context = streams[id], context.exchange === exchange else {
            if exchange.isComplete { return true }
            throw exchange.failure ?? TransportError(.connectionClosed, "the stream is closed")
        }
        if context.pending.readableBytes == 0 { context.pending = chunk } else { context.pending.writeBuffer(chunk) }
        pump(id)
        return (streams[id]?.pending.readableBytes ?? 0) == 0
    }

    func exchange(_ exchange: ClientExchange, endWithTrailers trailers: HTTPFields?) throws(TransportError) {
        let id = HTTP2StreamID(exchange.streamToken)
        guard let context = streams[id], context.exchange === exchange else {
            if exchange.isComplete { return }
            throw exchange.failure ?? TransportError(.connectionClosed, "the stream is closed")
        }
        context.endAfterPending = true
        if let trailers, !trailers.isEmpty {
            var list = HPACKHeaderList()
            for field in trailers { list.append(name: field.name.canonicalName, value: field.value) }
            context.trailersAfterPending = list
        }
        pump(id)
    }

    func exchange(_ exchange: ClientExchange, cancelWith error: TransportError) {
        let id = HTTP2StreamID(exchange.streamToken)
        guard streams[id]?.exchange === exchange else { return }
        reset(id, exchange, error)
    }
}

private extension HTTP2Connection {
    /// `nextDeadline` read through `inout`: reading the computed property of the stored machine made a copy of
    /// the whole state machine first (~670 instructions, once per batch of frames).
    mutating func nextDeadlineInPlace() -> Timestamp? { nextDeadline }
}
