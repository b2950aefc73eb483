import CourierCore
import CourierReactor
import CourierHTTP1
import HTTPTypes
import Synchronization

/// Settings of an HTTP/1.1 client connection.
public struct HTTP1ConnectionConfiguration: Sendable, Hashable {
    /// Parser limits (line lengths, header count and size, chunk extensions, trailers).
    public var limits = HTTP1Limits()
    /// Accept a bare LF as line end in responses (off: strict RFC 9112).
    public var allowsBareLineFeed = false
    /// Fail an exchange when nothing arrives for this long while a response is awaited or streaming.
    public var readTimeout: Duration? = .seconds(60)
    /// Queued response bytes above which reading pauses until the application catches up.
    public var responseBufferHighWatermark = 1 << 20
    /// Requests go to a forward proxy for an `http` origin: targets in absolute form, proxy credentials added.
    public var forwardingProxy: ForwardingProxy? = nil

    /// How requests are written for a forward proxy (RFC 9112 §3.2.2).
    public struct ForwardingProxy: Sendable, Hashable {
        /// Put before each request's path: `http://host:port`.
        public var targetPrefix: String
        /// The `Proxy-Authorization` value added to requests that carry none.
        public var authorization: String?

        /// Creates the settings.
        public init(targetPrefix: String, authorization: String?) {
            self.targetPrefix = targetPrefix
            self.authorization = authorization
        }
    }

    /// The defaults.
    public init() {}
}

/// An HTTP/1.1 client connection over a byte stream: one exchange at a time, keep-alive between them.
///
/// Theory of operation. `startExchange` serializes the head (and a known body) into one buffer written in the
/// current loop iteration. Response bytes go through the strict parser: interim heads reach the exchange
/// (100-continue), the final head resumes the awaiting task, body slices go to the exchange's body stream
/// (reading pauses when the application falls behind and resumes when it consumes), and the end returns the
/// connection to its delegate (the pool) when keep-alive allows and the request was fully sent. Bytes arriving
/// while no exchange runs, a response that closes the connection, a parse error, or a cancelled exchange all
/// close the connection: it is never reused in an unknown state.
public final class HTTP1ClientConnection: ClientConnection, @unchecked Sendable {
    // Sendable proof: all stored `var`s are touched only on `stream.loop` — the ByteStream and exchange
    // callbacks run there, and the public methods are loop-confined by the ClientConnection contract.

    private static let ids = Atomic<UInt64>(1)

    public let connectionID: UInt64
    /// The byte stream (plain or TLS) the connection runs on.
    public let stream: any ByteStream
    public var loop: EventLoop { stream.loop }
    public var protocolVersion: HTTPProtocolVersion { .http1_1 }
    public weak var delegate: (any ClientConnectionDelegate)?
    private let configuration: HTTP1ConnectionConfiguration
    // The codecs skip Swift's run-time exclusivity checks (~75 instructions per access, a dozen accesses per
    // request). Sound because only the loop thread touches them, and an access spans nothing but the codec's
    // own code: the parser, serializer and field cache are values in other modules with no way back to this
    // connection, and the closures handed to them (trailer mapping) touch only their arguments.
    @exclusivity(unchecked) private var parser: HTTP1ResponseParser
    @exclusivity(unchecked) private var serializer = HTTP1RequestSerializer()
    private var current: ClientExchange?
    private var requestDone = false
    private var responseDone = false
    private var keepAlive = true
    private var closed = false
    private var draining = false
    private var readPausedForBody = false
    private var lastActivity = SystemClock.now()
    /// The last response's fields, reused while the server keeps sending the same ones.
    @exclusivity(unchecked) private var fieldCache = ResponseFieldCache()
    private var readTimer: ScheduledTask?
    /// Exchanges completed on this connection (a reused connection has completed at least one).
    public private(set) var completedExchanges = 0
    /// Setup timings waiting for the first request that uses the connection (when collected).
    private let setupMetrics = Locked<ConnectionSetupMetrics?>(nil)

    public func attachSetupMetrics(_ metrics: ConnectionSetupMetrics) { setupMetrics.withLock { $0 = metrics } }

    public func takeSetupMetrics() -> ConnectionSetupMetrics? {
        setupMetrics.withLock { metrics in
            defer { metrics = nil }
            return metrics
        }
    }

    /// Wraps a connected stream and starts reading.
    public init(stream: any ByteStream, configuration: HTTP1ConnectionConfiguration = HTTP1ConnectionConfiguration()) {
        self.connectionID = Self.ids.wrappingAdd(1, ordering: .relaxed).oldValue
        self.stream = stream
        self.configuration = configuration
        self.parser = HTTP1ResponseParser(limits: configuration.limits, allowsBareLineFeed: configuration.allowsBareLineFeed)
        stream.start(handler: self)
    }

    public var isAvailable: Bool { current == nil && !closed && !draining }
    public var maximumConcurrentStreams: Int { 1 }

    public func startExchange(_ request: HTTPRequest, bodyLength: RequestBodyLength, inlineBody: ByteBuffer?,
                              expectContinue: Bool) throws(TransportError) -> ClientExchange {
        loop.assertInEventLoop()
        guard isAvailable else {
            throw TransportError(.connectionClosed, "the connection is busy or closed", requestNotProcessed: true)
        }
        let length: HTTP1BodyLength
        switch bodyLength {
        case .none: length = .none
        case .known(let count): length = .known(count)
        case .unknown: length = .unknown
        }
        var out = ByteBuffer(capacity: 512 + (inlineBody?.readableBytes ?? 0))
        var request = request
        // Read once: the getter parses the method from its pseudo-header field on every call.
        let method = request.method
        var target = request.path ?? "/"
        if let proxy = configuration.forwardingProxy {
            target = proxy.targetPrefix + target
            if let authorization = proxy.authorization, request.headerFields[.proxyAuthorization] == nil {
                request.headerFields[.proxyAuthorization] = authorization
            }
        }
        do {
            try serializer.writeRequestHead(
                method: method.rawValue, target: target, host: request.authority ?? "", body: length,
                expectContinue: expectContinue, into: &out
            ) { (writer) throws(HTTP1SerializationError) in
                for field in request.headerFields where !Self.isReserved(field.name) {
                    try writer.write(name: field.name.rawName, value: field.value)
                }
            }
            if let inlineBody {
                try serializer.writeBody(inlineBody, into: &out)
                try serializer.writeEnd(into: &out)
            } else if case .none = bodyLength {
                try serializer.writeEnd(into: &out)
            }
        } catch {
            serializer = HTTP1RequestSerializer()
            throw TransportError(.invalidRequest, error.description, underlying: error, requestNotProcessed: true)
        }
        let bodyStream = BodyStream(highWatermark: configuration.responseBufferHighWatermark,
                                    lowWatermark: configuration.responseBufferHighWatermark / 4)
        let exchange = ClientExchange(loop: loop, method: method, driver: self, body: bodyStream)
        // The stream holds the connection (its driver) until the body ends or is cancelled.
        bodyStream.setDriver(self, token: 0)
        current = exchange
        requestDone = inlineBody != nil || bodyLength == .none
        if requestDone { exchange.markRequestSent() }
        responseDone = false
        parser.expectResponse(toMethod: method.rawValue)
        stream.write(out)
        armReadTimer()
        // Bytes that arrived while idle were already rejected; parse anything buffered meanwhile.
        return exchange
    }

    /// Fields the serializer writes itself (framing and Host). Compared, not hashed (a set lookup hashed every
    /// field's name on every request), and only names of a reserved length are compared at all.
    private static func isReserved(_ name: HTTPField.Name) -> Bool {
        let canonical = name.canonicalName
        switch canonical.utf8.count {
        case 4: return canonical == "host"
        case 14: return canonical == "content-length"
        case 17: return canonical == "transfer-encoding"
        default: return false
        }
    }

    public func close(error: TransportError?) {
        loop.assertInEventLoop()
        guard !closed else { return }
        stream.close(error: error)
    }

    public func closeGracefully() {
        loop.assertInEventLoop()
        draining = true
        if current == nil { stream.close(error: nil) }
    }

    // MARK: - Response handling

    private func parse() {
        while let exchange = current {
            let event: HTTP1ResponseParser.Event?
            do {
                event = try parser.next()
            } catch {
                fail(TransportError(error))
                return
            }
            guard let event else { break }
            switch event {
            case .informational(let head):
                exchange.receivedInformational(response(from: head))
            case .head(let head):
                keepAlive = head.keepAlive
                exchange.receivedHead(response(from: head))
            case .body(let bytes):
                if exchange.body.yield(bytes) == .pause && !readPausedForBody {
                    readPausedForBody = true
                    stream.pauseReading()
                }
            case .end(let trailers):
                exchange.body.finish(trailers: trailers.map { fields(from: $0) })
                responseDone = true
                finishExchangeIfDone()
            case .upgraded:
                // Courier does not upgrade connections: a 101 or tunnel here is a protocol error.
                fail(TransportError(.protocolViolation, "the server switched protocols unasked"))
                return
            }
        }
        if current == nil && parser.hasUnsolicitedBytes {
            stream.close(error: TransportError(.protocolViolation, "the server sent bytes without a request"))
        }
    }

    private func finishExchangeIfDone() {
        guard let exchange = current, responseDone else { return }
        guard requestDone else {
            // The server answered before the request body was sent (RFC 9112 §9.3 lets it): the response
            // stands, the rest of the body is dropped, and the connection, mid-request, is not reused.
            current = nil
            exchange.completed()
            stream.close(error: nil)
            return
        }
        current = nil
        exchange.completed()
        completedExchanges += 1
        if readPausedForBody {
            // The body ended while reading was paused for a slow consumer (its end was already read): a finished
            // body stream reports no more consumption, so resume here or the next exchange never reads. Later
            // in this loop iteration, as resuming may deliver buffered bytes, and this runs inside `parse()`.
            loop.executeLocal { [self] in consumerCaughtUp() }
        }
        // The read timer stays armed: the next exchange reuses it (it does nothing if it fires while idle).
        let reusable = keepAlive && !draining && !closed
        if reusable && parser.isIdle {
            delegate?.connection(self, finishedExchangeReusable: true)
        } else {
            stream.close(error: nil)
        }
    }

    private func fail(_ error: TransportError) {
        if let exchange = current {
            current = nil
            exchange.fail(error.markedStale(isStale(exchange)))
        }
        stream.close(error: error)
    }

    /// A reused connection that ends before any response byte was most likely closed by the server while
    /// idle, before our request arrived.
    private func isStale(_ exchange: ClientExchange) -> Bool {
        !exchange.responseStarted && completedExchanges > 0
    }

    private func abandon(_ exchange: ClientExchange, _ error: TransportError) {
        guard current === exchange else { return }
        exchange.fail(error)
        current = nil
        stream.close(error: nil)
    }

    private func consumerCaughtUp() {
        guard readPausedForBody, !closed else { return }
        readPausedForBody = false
        stream.resumeReading()
    }

    // MARK: - Read timeout (one timer per timeout period, not per read)

    private func armReadTimer() {
        guard let timeout = configuration.readTimeout else { return }
        lastActivity = SystemClock.now()
        guard readTimer == nil else { return }
        readTimer = loop.scheduleLocal(at: lastActivity + timeout) { [weak self] in self?.readTimerFired() }
    }

    private func readTimerFired() {
        readTimer = nil
        guard current != nil, let timeout = configuration.readTimeout else { return }
        let idleSince = lastActivity
        let now = SystemClock.now()
        if readPausedForBody || now - idleSince < timeout {
            // Activity since the timer was set (or the application is the slow side): check again later.
            readTimer = loop.scheduleLocal(at: (readPausedForBody ? now : idleSince) + timeout) { [weak self] in
                self?.readTimerFired()
            }
            return
        }
        if let current, !current.requestSent, !stream.isWritable {
            fail(TransportError(.writeTimeout, "the server took no request bytes for \(timeout)"))
        } else {
            fail(TransportError(.readTimeout, "no response bytes for \(timeout)"))
        }
    }

    // MARK: - Conversions

    func response(from head: HTTP1ResponseHead) -> HTTPResponse {
        HTTPResponse(status: HTTPResponse.Status(code: head.status, reasonPhrase: head.reason),
                     headerFields: fields(from: head.fields))
    }

    func fields(from fields: HTTP1Fields) -> HTTPFields {
        fieldCache.fields(of: fields)
    }
}

extension HTTP1ClientConnection: ByteStreamHandler {
    public func streamDidRead(_ buffer: inout ByteBuffer) {
        lastActivity = SystemClock.now()
        parser.append(buffer.readAll())
        parse()
    }

    public func streamDidReadEOF(_ end: EndOfInput) {
        parser.finish()
        if current != nil {
            parse()
            if current != nil {
                // The parser neither completed nor failed: the response was cut short.
                fail(TransportError(.connectionClosed,
                                    end == .truncated ? "TLS ended without close_notify before the response completed"
                                                      : "the server closed the connection before the response completed"))
                return
            }
        }
        stream.close(error: nil)
    }

    public func streamDidBecomeWritable() {
        current?.resumeWriter()
    }

    public func streamDidClose(error: TransportError?) {
        closed = true
        readTimer?.cancel()
        readTimer = nil
        if let exchange = current {
            current = nil
            let failure = error ?? TransportError(.connectionClosed, "the connection closed during the exchange")
            exchange.fail(failure.markedStale(isStale(exchange)))
        }
        delegate?.connectionClosed(self)
    }
}

extension HTTP1ClientConnection: BodyStreamDriver {
    /// The application caught up: reading (HTTP/1.1) or the window (HTTP/2) may resume.
    public func bodyStream(_ stream: BodyStream, token: UInt32, consumed bytes: Int) {
        if loop.inEventLoop { consumerCaughtUp() } else { loop.execute { self.consumerCaughtUp() } }
    }

    /// The application abandoned the body: the exchange is abandoned too.
    public func bodyStreamCancelled(_ stream: BodyStream, token: UInt32) {
        let cancel: @Sendable () -> Void = {
            guard let exchange = self.current, exchange.body === stream else { return }
            self.abandon(exchange, TransportError(.cancelled, "the response body was abandoned"))
        }
        if loop.inEventLoop { cancel() } else { loop.execute(cancel) }
    }
}

extension HTTP1ClientConnection: ExchangeDriver {
    func exchange(_ exchange: ClientExchange, sendBody chunk: ByteBuffer) throws(TransportError) -> Bool {
        if exchange.isComplete { return true }
        guard current === exchange, !closed else {
            throw exchange.failure ?? TransportError(.connectionClosed, "the connection closed")
        }
        var framing = ByteBuffer(capacity: 16)
        do {
            try serializer.beginBodyPart(length: chunk.readableBytes, into: &framing)
        } catch {
            throw TransportError(.invalidRequest, error.description, underlying: error)
        }
        if framing.readableBytes > 0 { stream.write(framing) }
        stream.write(chunk)
        var trailer = ByteBuffer(capacity: 2)
        serializer.endBodyPart(into: &trailer)
        if trailer.readableBytes > 0 { stream.write(trailer) }
        return stream.isWritable
    }

    func exchange(_ exchange: ClientExchange, endWithTrailers trailers: HTTPFields?) throws(TransportError) {
        if exchange.isComplete { return }
        guard current === exchange, !closed else {
            throw exchange.failure ?? TransportError(.connectionClosed, "the connection closed")
        }
        var out = ByteBuffer(capacity: 64)
        do {
            if let trailers {
                try serializer.writeEnd(trailers: trailers.lazy.map { (name: $0.name.rawName, value: $0.value) }, into: &out)
            } else {
                try serializer.writeEnd(into: &out)
            }
        } catch {
            throw TransportError(.invalidRequest, error.description, underlying: error)
        }
        if out.readableBytes > 0 { stream.write(out) }
        requestDone = true
        finishExchangeIfDone()
    }

    func exchange(_ exchange: ClientExchange, cancelWith error: TransportError) {
        abandon(exchange, error)
    }
}
