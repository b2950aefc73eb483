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

    /// A parsed head, before the role-specific wrapper turns it into its public type.
    struct Head {
        var storage: ByteBuffer
        var entries: [HTTP1Fields.Entry]
        var startLine: StartLine
        var facts: FramingFacts
        var framing: HTTP1Framing
        var keepAlive: Bool

        var fields: HTTP1Fields { HTTP1Fields(storage: storage, entries: entries) }
    }

    enum Event {
        case head(Head)
        case informational(Head)
        case body(ByteBuffer)
        case end(HTTP1Fields?)
        case upgraded(ByteBuffer)
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

    mutating func next() throws(HTTP1Error) -> Event? {
        if case .failed(let error) = state { throw error }
        do throws(HTTP1Error) {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTP1Error) -> Event? {
        while true {
            switch state {
            case .idle:
                if role == .response && pending == nil {
                    skipEmptyLinesWhileIdle()
                    return nil
                }
                if role == .request && input.readable == 0 { return nil }
                scanner.reset()
                state = .head
            case .head:
                return try stepHead()
            case .body:
                return try stepBody()
            case .upgrading:
                state = .switched
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
        while input.readable >= 2 && input.byte(at: 0) == ASCII.cr && input.byte(at: 1) == ASCII.lf {
            input.consume(2)
        }
    }

    private mutating func stepHead() throws(HTTP1Error) -> Event? {
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
        var head = Head(storage: input.take(length), entries: scanner.entries, startLine: scanner.startLine,
                        facts: scanner.facts, framing: .none, keepAlive: false)
        return role == .response ? try finishResponseHead(&head) : try finishRequestHead(&head)
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

    private mutating func finishResponseHead(_ head: inout Head) throws(HTTP1Error) -> Event {
        let status = head.startLine.status
        let facts = head.facts
        if status >= 100 && status < 200 && status != 101 {
            scanner.reset()
            return .informational(head)
        }
        if facts.hasTransferEncoding && facts.contentLength != nil {
            throw HTTP1Error(.conflictingFraming, offset: input.consumed,
                             detail: "response has both Transfer-Encoding and Content-Length")
        }
        let request = pending ?? PendingRequest(isHead: false, isConnect: false)
        var keepAlive = facts.isPersistent(head.startLine.version)
        if status == 101 || (request.isConnect && status >= 200 && status < 300) {
            head.framing = .tunnel
        } else if request.isHead || status == 204 || status == 304 {
            head.framing = .none
        } else if facts.hasTransferEncoding {
            if facts.chunkedIsLast && facts.chunkedBeforeAnother {
                throw HTTP1Error(.invalidTransferEncoding, offset: input.consumed, detail: "chunked applied twice")
            }
            // §6.3 rule 4: chunked not last in a response means the body runs until the close.
            head.framing = facts.chunkedIsLast ? .chunked : .untilClose
        } else if let length = facts.contentLength {
            head.framing = .contentLength(length)
        } else {
            head.framing = .untilClose
        }
        if head.framing == .untilClose { keepAlive = false }
        // §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing: close afterwards.
        if facts.hasTransferEncoding && !head.startLine.version.isAtLeastHTTP11 { keepAlive = false }
        head.keepAlive = keepAlive
        beginBody(head.framing, keepAlive: keepAlive, pause: false)
        return .head(head)
    }

    private mutating func finishRequestHead(_ head: inout Head) throws(HTTP1Error) -> Event {
        let facts = head.facts
        if facts.hasTransferEncoding && facts.contentLength != nil {
            throw HTTP1Error(.conflictingFraming, offset: input.consumed,
                             detail: "request has both Transfer-Encoding and Content-Length")
        }
        if facts.hasTransferEncoding {
            // §6.3 rule 4: a request whose final coding is not chunked cannot be delimited.
            guard facts.chunkedIsLast && !facts.chunkedBeforeAnother else {
                throw HTTP1Error(.invalidTransferEncoding, offset: input.consumed,
                                 detail: "request Transfer-Encoding does not end in a single chunked")
            }
            head.framing = .chunked
        } else if let length = facts.contentLength {
            head.framing = .contentLength(length)
        }
        let isConnect = head.startLine.methodEnd == 7
            && head.storage.withUnsafeReadableBytes { $0.starts(with: "CONNECT".utf8) }
        if isConnect { head.framing = .none }
        var keepAlive = facts.isPersistent(head.startLine.version)
        if facts.hasTransferEncoding && !head.startLine.version.isAtLeastHTTP11 { keepAlive = false }
        head.keepAlive = keepAlive
        let upgrade = isConnect || (facts.connectionUpgrade && facts.hasUpgrade)
        beginBody(head.framing, keepAlive: keepAlive, pause: upgrade)
        return .head(head)
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
        if pauseAfterMessage {
            state = .paused
        } else {
            state = keepAliveAfterMessage ? .idle : .closed
        }
        return .end(trailers)
    }
}
