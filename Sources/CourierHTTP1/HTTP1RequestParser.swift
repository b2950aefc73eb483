import CourierCore

/// Parses the requests a client sends on one connection (server role, for the test server), with the
/// same strictness and limits as the response parser.
///
/// Pull style: `append(_:)` bytes, then `next()` until nil. Per request: `.head`, zero or more `.body`
/// slices, `.end`. After a request that closes the connection, more bytes make `next()` throw
/// `.unexpectedData`. After an upgrade request (CONNECT, or `Connection: upgrade` with `Upgrade`)
/// the parser pauses at `.end` until the server calls `acceptUpgrade()` (the buffered bytes then
/// belong to the new protocol) or `declineUpgrade()` (parsing continues as HTTP/1.1). Empty lines
/// before a request line are skipped (RFC 9112 §2.2). Host and method semantics are the server's
/// business: the parser checks syntax and framing only.
public struct HTTP1RequestParser: Sendable {
    /// One step of a request.
    public enum Event: Sendable {
        /// A request head.
        case head(HTTP1RequestHead)
        /// Body bytes, chunking removed (a view of the received bytes). Never empty.
        case body(ByteBuffer)
        /// The request is complete; the trailers of a chunked body, if it had any.
        case end(trailers: HTTP1Fields?)
    }

    private var core: MessageParser

    /// Creates a parser. Bare LF line ends are always rejected in requests.
    public init(limits: HTTP1Limits = HTTP1Limits()) {
        core = MessageParser(role: .request, limits: limits, allowsBareLineFeed: false)
    }

    /// Adds received bytes. When nothing is buffered, the buffer is adopted as is (no copy).
    public mutating func append(_ bytes: ByteBuffer) {
        core.input.append(bytes)
    }

    /// Adds received bytes by copying them.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        core.input.append(bytes)
    }

    /// Signals that the client closed its side; `next()` then fails an unfinished request.
    public mutating func finish() {
        core.input.receivedEOF = true
    }

    /// The next event, or nil when more bytes are needed (or while paused after an upgrade request).
    public mutating func next() throws(HTTP1Error) -> Event? {
        switch try core.next() {
        case nil: return nil
        case .head: return .head(HTTP1RequestHead(core))
        case .body(let bytes): return .body(bytes)
        case .end(let trailers): return .end(trailers: trailers)
        case .informational, .upgraded:
            preconditionFailure("request parser produced a response event")
        }
    }

    /// Whether the parser stopped after an upgrade request and waits for the server's decision.
    public var isPausedForUpgrade: Bool {
        if case .paused = core.state { return true }
        return false
    }

    /// The server switches protocols: returns the bytes already received for the new protocol. The
    /// parser then parses nothing more.
    public mutating func acceptUpgrade() -> ByteBuffer {
        precondition(isPausedForUpgrade, "acceptUpgrade called when no upgrade request is pending")
        core.state = .switched
        return core.input.take(core.input.readable)
    }

    /// The server stays on HTTP/1.1 (it answered the upgrade request normally); parsing continues.
    public mutating func declineUpgrade() {
        precondition(isPausedForUpgrade, "declineUpgrade called when no upgrade request is pending")
        core.state = core.keepAliveAfterMessage ? .idle : .closed
    }

    /// Bytes received and not yet parsed.
    public var bufferedByteCount: Int { core.input.readable }

    /// Takes every buffered byte (after `acceptUpgrade()`, bytes appended later belong to the new
    /// protocol too).
    public mutating func takeBufferedBytes() -> ByteBuffer {
        core.input.take(core.input.readable)
    }
}
