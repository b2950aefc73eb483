import CourierCore

/// Parses the responses a server sends on one connection (client role), sans-I/O.
///
/// Pull style: tell it which request the next response answers (`expectResponse(toMethod:)`), feed it
/// bytes with `append(_:)`, then call `next()` until it returns nil (nil means it needs more bytes).
/// Call `finish()` when the server closes the connection: that ends a body delimited by the close, or
/// makes `next()` report the truncation. For each request the events are: zero or more
/// `.informational` heads (100, 103, …), one `.head`, zero or more `.body` slices, then `.end` — or,
/// for 101 and a 2xx answer to CONNECT, `.head` followed by `.upgraded` with the bytes that already
/// belong to the new protocol.
///
/// Sequential keep-alive responses work on one parser: after `.end`, leftover bytes stay buffered
/// until the next `expectResponse`; `hasUnsolicitedBytes` tells a driver that the server sent bytes
/// while no request was outstanding, which it normally treats as a protocol error. After a response that closes the
/// connection (`keepAlive == false`), any further byte makes `next()` throw `.unexpectedData`.
///
/// Strict by default (RFC 9112): see `Docs/http1.md` for every rule and limit. The one leniency,
/// `allowsBareLineFeed`, accepts LF without CR as a line end in heads, chunk lines and trailers, as
/// browsers and curl do; it is off by default because it is one of the ways to desync a proxy.
public struct HTTP1ResponseParser: Sendable {
    /// One step of a response.
    public enum Event: Sendable {
        /// An interim response (1xx other than 101); the final response follows.
        case informational(HTTP1ResponseHead)
        /// The final response's head.
        case head(HTTP1ResponseHead)
        /// Body bytes, chunking removed (a view of the received bytes, no copy). Never empty.
        case body(ByteBuffer)
        /// The response is complete; the trailers of a chunked body, if it had any.
        case end(trailers: HTTP1Fields?)
        /// The connection switched protocols (101, or a tunnel after CONNECT): these bytes, possibly
        /// empty, already belong to the new protocol, and so does everything the socket delivers next.
        case upgraded(ByteBuffer)
    }

    private var core: MessageParser

    /// Creates a parser. `allowsBareLineFeed` accepts LF alone as a line end (off by default).
    public init(limits: HTTP1Limits = HTTP1Limits(), allowsBareLineFeed: Bool = false) {
        core = MessageParser(role: .response, limits: limits, allowsBareLineFeed: allowsBareLineFeed)
    }

    /// Says that the next response answers a request with this method: HEAD responses have no body and
    /// a 2xx answer to CONNECT opens a tunnel. Call once per request, before its response is parsed.
    public mutating func expectResponse(toMethod method: String) {
        switch core.state {
        case .idle:
            precondition(core.pending == nil, "expectResponse called twice for one response")
        case .head, .body, .closed, .upgrading, .paused, .switched, .failed:
            preconditionFailure("expectResponse called while the previous response is not finished (\(core.state))")
        }
        core.pending = MessageParser.PendingRequest(isHead: method == "HEAD", isConnect: method == "CONNECT")
    }

    /// Adds received bytes. When nothing is buffered, the buffer is adopted as is (no copy).
    public mutating func append(_ bytes: ByteBuffer) {
        core.input.append(bytes)
    }

    /// Adds received bytes by copying them.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        core.input.append(bytes)
    }

    /// Signals that the server closed the connection; `next()` then completes or fails what is pending.
    public mutating func finish() {
        core.input.receivedEOF = true
    }

    /// The next event, or nil when more bytes (or `finish()`) are needed, or when no response is expected.
    public mutating func next() throws(HTTP1Error) -> Event? {
        switch try core.next() {
        case nil: return nil
        case .informational: return .informational(HTTP1ResponseHead(core))
        case .head: return .head(HTTP1ResponseHead(core))
        case .body(let bytes): return .body(bytes)
        case .end(let trailers): return .end(trailers: trailers)
        case .upgraded(let bytes): return .upgraded(bytes)
        }
    }

    /// Bytes received and not yet parsed.
    public var bufferedByteCount: Int { core.input.readable }

    /// Whether the server sent bytes while no response is expected (after `next()` returned nil).
    /// Empty lines between responses do not count (RFC 9112 §2.2 robustness), nor does a final CR that
    /// may still become one, so the answer does not depend on how the bytes were split. A driver
    /// normally closes the connection when this is true, instead of reusing it.
    public var hasUnsolicitedBytes: Bool {
        guard isIdle, core.input.readable > 0 else { return false }
        return !(core.input.readable == 1 && core.input.byte(at: 0) == 0x0D)
    }

    /// Whether the parser is between responses and the connection may be reused: the last response
    /// allowed keep-alive and no error happened.
    public var isIdle: Bool {
        if case .idle = core.state { return core.pending == nil }
        return false
    }

    /// Takes every buffered byte (after `.upgraded`, for the new protocol; or to discard a connection).
    public mutating func takeBufferedBytes() -> ByteBuffer {
        core.input.take(core.input.readable)
    }
}
