import CourierCore

/// One HTTP/2 frame (RFC 9113 §4.1, §6): the stream it belongs to and its type-specific payload.
///
/// Byte fields (DATA content, field block fragments, debug data) are `ByteBuffer` views of the
/// decoder's input: decoding copies nothing. Flags a frame type does not define are dropped when
/// decoding and never encoded; padding octets are skipped when decoding (their count is kept, as
/// it counts against flow control) and written as zeros when encoding.
public struct HTTP2Frame: Hashable, Sendable, CustomStringConvertible {
    /// The stream the frame belongs to; `.root` for connection-level frames.
    public var streamID: HTTP2StreamID
    /// The type-specific content.
    public var payload: Payload

    /// Creates a frame.
    public init(streamID: HTTP2StreamID, payload: Payload) {
        self.streamID = streamID
        self.payload = payload
    }

    /// The type-specific content of a frame, one case per frame type.
    public enum Payload: Hashable, Sendable {
        /// DATA (§6.1).
        case data(Data)
        /// HEADERS (§6.2).
        case headers(Headers)
        /// PRIORITY (§6.3), deprecated.
        case priority(HTTP2Priority)
        /// RST_STREAM (§6.4) with its error code.
        case rstStream(HTTP2ErrorCode)
        /// SETTINGS (§6.5).
        case settings(Settings)
        /// PUSH_PROMISE (§6.6).
        case pushPromise(PushPromise)
        /// PING (§6.7).
        case ping(Ping)
        /// GOAWAY (§6.8).
        case goAway(GoAway)
        /// WINDOW_UPDATE (§6.9) with its increment, 1 to 2^31 − 1.
        case windowUpdate(increment: UInt32)
        /// CONTINUATION (§6.10).
        case continuation(Continuation)
        /// A frame of a type RFC 9113 does not define: receivers ignore it (§4.1, §5.5).
        case unknown(Unknown)
    }

    /// The frame's type octet.
    public var type: HTTP2FrameType {
        switch payload {
        case .data: .data
        case .headers: .headers
        case .priority: .priority
        case .rstStream: .rstStream
        case .settings: .settings
        case .pushPromise: .pushPromise
        case .ping: .ping
        case .goAway: .goAway
        case .windowUpdate: .windowUpdate
        case .continuation: .continuation
        case .unknown(let unknown): unknown.type
        }
    }

    public var description: String {
        switch payload {
        case .data(let data):
            return "DATA[\(streamID)] \(data.data.readableBytes) octets\(data.endStream ? " END_STREAM" : "")"
        case .headers(let headers):
            return "HEADERS[\(streamID)] \(headers.fragment.readableBytes) octets"
                + (headers.endStream ? " END_STREAM" : "") + (headers.endHeaders ? " END_HEADERS" : "")
        case .priority(let priority):
            return "PRIORITY[\(streamID)] \(priority)"
        case .rstStream(let code):
            return "RST_STREAM[\(streamID)] \(code)"
        case .settings(let settings):
            return settings.ack ? "SETTINGS ACK" : "SETTINGS \(settings.settings)"
        case .pushPromise(let promise):
            return "PUSH_PROMISE[\(streamID)] promised \(promise.promisedStreamID)"
        case .ping(let ping):
            return "PING\(ping.ack ? " ACK" : "") \(ping.data)"
        case .goAway(let goAway):
            return "GOAWAY last \(goAway.lastStreamID) \(goAway.errorCode)"
        case .windowUpdate(let increment):
            return "WINDOW_UPDATE[\(streamID)] +\(increment)"
        case .continuation(let continuation):
            return "CONTINUATION[\(streamID)] \(continuation.fragment.readableBytes) octets"
                + (continuation.endHeaders ? " END_HEADERS" : "")
        case .unknown(let unknown):
            return "\(unknown.type)[\(streamID)] \(unknown.payload.readableBytes) octets"
        }
    }
}

extension HTTP2Frame {
    /// The 9-octet frame header (§4.1).
    public static let headerSize = 9

    /// The payload of a frame whose type RFC 9113 does not define.
    public struct Unknown: Hashable, Sendable {
        /// The type octet.
        public var type: HTTP2FrameType
        /// The flags octet, as received.
        public var flags: UInt8
        /// The payload, as received.
        public var payload: ByteBuffer

        /// Creates an extension frame payload.
        public init(type: HTTP2FrameType, flags: UInt8, payload: ByteBuffer) {
            self.type = type
            self.flags = flags
            self.payload = payload
        }
    }
}
