/// A misbehaviour the test server applies while answering a request, so tests can see how a client copes
/// with slow, broken, resetting or overloaded servers.
///
/// Faults are values attached to a `TestResponse` (`response.faults`), to a route
/// (`server.route(..., faults:)`), or queued for the next matching requests (`server.injectFaults`).
/// Several can be combined: delays and drip add up with one interruption (drop, reset, stall, truncation);
/// when several interruptions are given, the one that happens first in the response wins.
///
/// Every fault has a meaning on both protocols. The HTTP/2-flavoured ones (`goAway`, `refuseStream`, a
/// reset's HTTP/2 error code) are applied on HTTP/1.1 as their closest equivalent, as documented on each.
public struct TestFault: Sendable, Hashable, CustomStringConvertible {
    /// Where in a response an interruption happens.
    public enum Moment: Sendable, Hashable, CustomStringConvertible {
        /// Before any byte of the response (the request was received, no answer follows).
        case beforeHead
        /// After the complete head, before any body byte.
        case afterHead
        /// After exactly this many body bytes (the head and these bytes are sent and flushed first).
        case afterBodyBytes(Int)

        public var description: String {
            switch self {
            case .beforeHead: "before the head"
            case .afterHead: "after the head"
            case .afterBodyBytes(let count): "after \(count) body bytes"
            }
        }
    }

    /// How an interrupted response ends.
    enum Interruption: Sendable, Hashable {
        /// Close the connection in an orderly way (FIN; with TLS, close_notify when `closeNotify`).
        case drop(closeNotify: Bool)
        /// TCP RST on HTTP/1.1; RST_STREAM with `code` on HTTP/2.
        case reset(http2ErrorCode: UInt32)
        /// Go silent until the client gives up (the connection stays open).
        case stall
        /// Close without the chunked body's last chunk.
        case truncateChunked
    }

    /// Where an interruption happens; `endOfBody` is the moment after the last body byte.
    enum Point: Sendable, Hashable {
        case moment(Moment)
        case endOfBody
    }

    enum Kind: Sendable, Hashable {
        case delay(Duration)
        case drip(bytes: Int, interval: Duration)
        case interrupt(Interruption, at: Point)
        case goAway(lastStreamID: Int?, errorCode: UInt32)
        case refuseStream
        case closeAfterResponse
    }

    let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// Waits `duration` before sending the response head (a slow server; the handler has already run).
    public static func delay(_ duration: Duration) -> TestFault { TestFault(.delay(duration)) }

    /// Slow drip: sends the body at most `bytes` at a time, flushed, with `interval` between pieces.
    public static func drip(bytes: Int, every interval: Duration) -> TestFault {
        precondition(bytes > 0, "a drip needs at least one byte per piece")
        return TestFault(.drip(bytes: bytes, interval: interval))
    }

    /// Closes the connection in an orderly way (TCP FIN) at `moment`: before the head the client gets no
    /// response at all, in the body it gets a short one. With TLS, `closeNotify` false leaves out the
    /// close_notify alert, so the client sees a TLS truncation as well. On HTTP/2 the whole connection closes.
    public static func dropConnection(at moment: Moment = .beforeHead, closeNotify: Bool = true) -> TestFault {
        TestFault(.interrupt(.drop(closeNotify: closeNotify), at: .moment(moment)))
    }

    /// Resets at `moment`: on HTTP/1.1 the connection is closed with a TCP RST (SO_LINGER 0), discarding
    /// what the client has not read yet; on HTTP/2 the stream gets RST_STREAM with `http2ErrorCode`
    /// (default INTERNAL_ERROR, 0x2).
    public static func reset(at moment: Moment = .beforeHead, http2ErrorCode: UInt32 = 0x2) -> TestFault {
        TestFault(.interrupt(.reset(http2ErrorCode: http2ErrorCode), at: .moment(moment)))
    }

    /// Goes silent at `moment` (what was sent before is flushed): the connection stays open and nothing
    /// more is sent until the client closes it or the server shuts down. For testing client timeouts.
    public static func stall(at moment: Moment = .afterHead) -> TestFault {
        TestFault(.interrupt(.stall, at: .moment(moment)))
    }

    /// Sends the body chunked (whatever its length) and closes the connection before the last chunk:
    /// after the whole body, or after `afterBodyBytes` bytes of it. The client must report the body as
    /// truncated. On HTTP/2 the connection closes before the stream's END_STREAM.
    public static func truncateChunkedBody(afterBodyBytes: Int? = nil) -> TestFault {
        TestFault(.interrupt(.truncateChunked, at: afterBodyBytes.map { .moment(.afterBodyBytes($0)) } ?? .endOfBody))
    }

    /// A graceful shutdown announced with this response. On HTTP/2: GOAWAY with `lastStreamID` (nil: this
    /// request's stream, so it completes) and `errorCode` before the head. On HTTP/1.1: the response carries
    /// `Connection: close` and the connection closes after it.
    public static func goAway(lastStreamID: Int? = nil, errorCode: UInt32 = 0) -> TestFault {
        TestFault(.goAway(lastStreamID: lastStreamID, errorCode: errorCode))
    }

    /// Refuses the request without processing it. On HTTP/2: RST_STREAM with REFUSED_STREAM (the client may
    /// retry it anywhere). On HTTP/1.1: the connection closes without a response, as a keep-alive
    /// connection closed by the server just before the request arrived would.
    public static let refuseStream = TestFault(.refuseStream)

    /// Closes the connection silently after a complete response, without announcing it (no
    /// `Connection: close`): the client believes the connection reusable and finds it stale on next use.
    public static let closeAfterResponse = TestFault(.closeAfterResponse)

    public var description: String {
        switch kind {
        case .delay(let duration): "delay(\(duration))"
        case .drip(let bytes, let interval): "drip(\(bytes) bytes every \(interval))"
        case .interrupt(let interruption, let point):
            "\(interruption) \(point)"
        case .goAway(let last, let code): "goAway(lastStreamID: \(last.map(String.init) ?? "this stream"), errorCode: \(code))"
        case .refuseStream: "refuseStream"
        case .closeAfterResponse: "closeAfterResponse"
        }
    }
}
