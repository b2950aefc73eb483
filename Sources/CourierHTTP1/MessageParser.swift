import CourierCore

/// The role-independent parser behind `HTTP1ResponseParser` and `HTTP1RequestParser`.
///
/// Theory of operation: bytes are appended to one `InputBuffer`; `next()` advances a small state
/// machine as far as the buffered bytes allow and returns at most one event. A head is scanned line by
/// line in place (`HeadScanner`); once complete, its bytes become the storage of `HTTP1Fields` (a
/// slice, no copy) and the framing is decided (RFC 9112 §6.3). Body bytes are returned as slices of
/// the input. "Need more bytes" is `nil`, never an error. Any error is sticky: the parser is then
/// `.failed` and keeps throwing it, because the byte stream can no longer be trusted.
///
/// ```
/// idle ──(request: bytes / response: expectResponse)──▶ head ──▶ body ──▶ idle (keep-alive)
///                                                        │  ▲     └─────▶ closed (more bytes = error)
///                                                        │  └ 1xx         └────▶ paused (upgrade request)
///                                                        └──▶ upgrading ──▶ switched (101, CONNECT 2xx)
/// ```
struct MessageParser {
    enum Role { case request, response }

    enum State {
        case idle
        case head
        case body
        case upgrading
        case paused
        case switched
        case closed
        case failed(HTTP1Error)
    }

    enum BodyMode { case contentLength, chunked, untilClose }

    /// One step. Head events carry nothing: the completed head stays in the parser (`completedHead`,
    /// `scanner`) for the role's wrapper to read before its next call, so no large value is moved around.
    enum Event {
        case head
        case informational
        case body(ByteBuffer)
        case end(HTTP1Fields?)
        case upgraded(ByteBuffer)
    }

    /// What was decided about the last completed head (its fields and start line are in `scanner`).
    struct CompletedHead {
        var storage = InputBuffer.empty
        var framing = HTTP1Framing.none
        var keepAlive = false
    }

    /// What the response answers (response role only).
    struct PendingRequest {
        var isHead: Bool
        var isConnect: Bool
    }

    let role: Role
    let limits: HTTP1Limits
    let allowsBareLineFeed: Bool

    var input = InputBuffer()
    var state = State.idle
    var scanner = HeadScanner()
    var completedHead = CompletedHead()
    /// The scanner still holds a completed head that the wrapper may read; reset it before scanning.
    var scannerHoldsHead = false
    var bodyMode = BodyMode.contentLength
    var remaining = 0
    var chunked = ChunkedBodyState()
    var keepAliveAfterMessage = true
    var pauseAfterMessage = false
    var pending: PendingRequest?

    init(role: Role, limits: HTTP1Limits, allowsBareLineFeed: Bool) {
        self.role = role
        self.limits = limits
        self.allowsBareLineFeed = allowsBareLineFeed
    }

    var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    // MARK: - Stepping

    @inline(__always)
    mutating func next() throws(HTTP1Error) -> Event? {
        if case .failed(let error) = state { throw error }
        do throws(HTTP1Error) {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    @inline(__always)
    private mutating func step() throws(HTTP1Error) -> Event? {
        while true {
            switch state {
            case .idle:
                if role == .response && pending == nil {
                    skipEmptyLinesWhileIdle()
                    return nil
                }
                if role == .request && input.readable == 0 { return nil }
                state = .head
            case .head:
                return try stepHead()
            case .body:
                return try stepBody()
            case .upgrading:
                state = .switched
                completedHead.storage = InputBuffer.empty
                return .upgraded(input.take(input.readable))
            case .paused, .switched:
                return nil
            case .closed:
                guard input.readable == 0 else {
                    throw HTTP1Error(.unexpectedData, offset: input.consumed, byte: input.byte(at: 0),
                                     detail: "bytes after a message that closes the connection")
                }
                return nil
            case .failed(let error):
                throw error
            }
        }
    }

    /// Between responses, consumes complete CRLFs a server may send after a message (RFC 9112 §2.2
    /// robustness); anything else stays buffered for the driver to judge.
    private mutating func skipEmptyLinesWhileIdle() {
        while input.readable > 0 {
            if input.readable >= 2 && input.byte(at: 0) == ASCII.cr && input.byte(at: 1) == ASCII.lf {
                input.consume(2)
            } else if allowsBareLineFeed && input.byte(at: 0) == ASCII.lf {
                input.consume(1)
            } else {
                return
            }
        }
    }

    private mutating func stepHead() throws(HTTP1Error) -> Event? {
        if scannerHoldsHead {
            scanner.reset()
            scannerHoldsHead = false
        }
        if !scanner.sawStartLine && scanner.cursor.lineStart == 0 {
            guard try skipLeadingEmptyLines() else { return try endOfInputInHead() }
        }
        let streamOffset = input.consumed
        let isResponse = role == .response
        let outcome: Result<Int?, HTTP1Error> = input.withBytes { bytes, count in
            do throws(HTTP1Error) {
                return .success(try scanner.scan(bytes, count, isResponse: isResponse, limits: limits,
                                                 allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset))
            } catch {
                return .failure(error)
            }
        }
        guard let length = try outcome.get() else { return try endOfInputInHead() }
        completedHead.storage = input.take(length)
        scannerHoldsHead = true
        return role == .response ? try finishResponseHead() : try finishRequestHead()
    }

    /// RFC 9112 §2.2: empty lines before a start line are ignored. Returns false when more bytes are needed.
    private mutating func skipLeadingEmptyLines() throws(HTTP1Error) -> Bool {
        while input.readable > 0 {
            let first = input.byte(at: 0)
            if first == ASCII.lf {
                guard allowsBareLineFeed else {
                    throw HTTP1Error(.bareLineFeed, offset: input.consumed, byte: first, detail: "LF without CR")
                }
                input.consume(1)
            } else if first == ASCII.cr {
                guard input.readable >= 2 else { return false }
                guard input.byte(at: 1) == ASCII.lf else {
                    throw HTTP1Error(.bareCarriageReturn, offset: input.consumed, byte: first,
                                     detail: "CR not followed by LF")
                }
                input.consume(2)
            } else {
                return true
            }
        }
        return false
    }

    private mutating func endOfInputInHead() throws(HTTP1Error) -> Event? {
        guard input.receivedEOF else { return nil }
        if input.readable == 0 && !scanner.sawStartLine {
            if role == .request {
                state = .closed
                return nil
            }
            throw HTTP1Error(.closedBeforeResponse, offset: input.consumed,
                             detail: "connection closed before the response began")
        }
        throw HTTP1Error(.truncatedHead, offset: input.consumed &+ input.readable,
                         detail: "connection closed inside a head")
    }

    // MARK: - Framing decisions (RFC 9112 §6.3)

    private mutating func finishResponseHead() throws(HTTP1Error) -> Event {
        let status = scanner.startLine.status
        let version = scanner.startLine.version
        let facts = scanner.facts
        if status >= 100 && status < 200 && status != 101 {
            completedHead.framing = .none
            completedHead.keepAlive = true
            return .informational
        }
        let request = pending ?? PendingRequest(isHead: false, isConnect: false)
        var keepAlive = facts.isPersistent(version)
        let framing: HTTP1Framing
        // §6.3 rules 1 and 2 come first: these responses end with their head whatever the fields say
        // (and RFC 9110 §9.3.6: a client MUST ignore Content-Length and Transfer-Encoding on a 2xx to
        // CONNECT). Only when the fields really delimit a body can they conflict (rule 3).
        if status == 101 || (request.isConnect && status >= 200 && status < 300) {
            framing = .tunnel
        } else if request.isHead || status == 204 || status == 304 {
            framing = .none
        } else if facts.hasTransferEncoding && facts.contentLength != nil {
            throw HTTP1Error(.conflictingFraming, offset: input.consumed,
                             detail: "response has both Transfer-Encoding and Content-Length")
        } else if facts.hasTransferEncoding {
            if facts.chunkedIsLast && facts.chunkedBeforeAnother {
                throw HTTP1Error(.invalidTransferEncoding, offset: input.consumed, detail: "chunked applied twice")
            }
            // §6.3 rule 4: chunked not last in a response means the body runs until the close.
            framing = facts.chunkedIsLast ? .chunked : .untilClose
        } else if let length = facts.contentLength {
            framing = .contentLength(length)
        } else {
            framing = .untilClose
        }
        if framing == .untilClose { keepAlive = false }
        // §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing: close afterwards.
        if facts.hasTransferEncoding && !version.isAtLeastHTTP11 { keepAlive = false }
        completedHead.framing = framing
        completedHead.keepAlive = keepAlive
        beginBody(framing, keepAlive: keepAlive, pause: false)
        return .head
    }

    private mutating func finishRequestHead() throws(HTTP1Error) -> Event {
        let facts = scanner.facts
        let version = scanner.startLine.version
        if facts.hasTransferEncoding && facts.contentLength != nil {
            throw HTTP1Error(.conflictingFraming, offset: input.consumed,
                             detail: "request has both Transfer-Encoding and Content-Length")
        }
        var framing = HTTP1Framing.none
        if facts.hasTransferEncoding {
            // §6.3 rule 4: a request whose final coding is not chunked cannot be delimited.
            guard facts.chunkedIsLast && !facts.chunkedBeforeAnother else {
                throw HTTP1Error(.invalidTransferEncoding, offset: input.consumed,
                                 detail: "request Transfer-Encoding does not end in a single chunked")
            }
            framing = .chunked
        } else if let length = facts.contentLength {
            framing = .contentLength(length)
        }
        let isConnect = isConnectRequest
        if isConnect { framing = .none }
        var keepAlive = facts.isPersistent(version)
        if facts.hasTransferEncoding && !version.isAtLeastHTTP11 { keepAlive = false }
        completedHead.framing = framing
        completedHead.keepAlive = keepAlive
        beginBody(framing, keepAlive: keepAlive, pause: isConnect || (facts.connectionUpgrade && facts.hasUpgrade))
        return .head
    }

    /// Whether the completed request head's method is CONNECT.
    var isConnectRequest: Bool {
        scanner.startLine.methodEnd == 7
            && completedHead.storage.withUnsafeReadableBytes { $0.starts(with: "CONNECT".utf8) }
    }

    private mutating func beginBody(_ framing: HTTP1Framing, keepAlive: Bool, pause: Bool) {
        keepAliveAfterMessage = keepAlive
        pauseAfterMessage = pause
        switch framing {
        case .none:
            bodyMode = .contentLength
            remaining = 0
        case .contentLength(let length):
            bodyMode = .contentLength
            remaining = length
        case .chunked:
            bodyMode = .chunked
            chunked.reset()
        case .untilClose:
            bodyMode = .untilClose
        case .tunnel:
            state = .upgrading
            pending = nil
            return
        }
        state = .body
    }

    // MARK: - Body

    @inline(__always)
    private mutating func stepBody() throws(HTTP1Error) -> Event? {
        switch bodyMode {
        case .contentLength:
            if remaining == 0 { return endMessage(trailers: nil) }
            let available = input.readable
            if available == 0 {
                if input.receivedEOF {
                    throw HTTP1Error(.truncatedBody, offset: input.consumed,
                                     detail: "connection closed \(remaining) bytes before the end of the body")
                }
                return nil
            }
            let count = min(available, remaining)
            remaining &-= count
            return .body(input.take(count))
        case .untilClose:
            if input.readable > 0 { return .body(input.take(input.readable)) }
            return input.receivedEOF ? endMessage(trailers: nil) : nil
        case .chunked:
            switch try chunked.next(&input, limits: limits, allowsBareLineFeed: allowsBareLineFeed) {
            case .data(let slice):
                return .body(slice)
            case .end(let trailers):
                return endMessage(trailers: trailers)
            case .needMore:
                if input.receivedEOF {
                    throw HTTP1Error(.truncatedBody, offset: input.consumed &+ input.readable,
                                     detail: "connection closed inside a chunked body")
                }
                return nil
            }
        }
    }

    private mutating func endMessage(trailers: HTTP1Fields?) -> Event {
        pending = nil
        completedHead.storage = InputBuffer.empty
        if pauseAfterMessage {
            state = .paused
        } else {
            state = keepAliveAfterMessage ? .idle : .closed
        }
        return .end(trailers)
    }
}
