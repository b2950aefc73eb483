/// The type octet of an HTTP/2 frame (RFC 9113 §6). An open set: values without a name here are
/// extension frames, which a receiver ignores (§4.1, §5.5).
public struct HTTP2FrameType: Hashable, Sendable, CustomStringConvertible {
    /// The octet on the wire.
    public let rawValue: UInt8

    /// Wraps a raw type octet.
    @inlinable
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// DATA (0x0): request or response content, flow controlled.
    public static let data = HTTP2FrameType(0x0)
    /// HEADERS (0x1): opens a stream and carries a field block fragment.
    public static let headers = HTTP2FrameType(0x1)
    /// PRIORITY (0x2): deprecated priority signal, parsed and ignored.
    public static let priority = HTTP2FrameType(0x2)
    /// RST_STREAM (0x3): ends one stream immediately.
    public static let rstStream = HTTP2FrameType(0x3)
    /// SETTINGS (0x4): configuration of the sender, or an acknowledgement.
    public static let settings = HTTP2FrameType(0x4)
    /// PUSH_PROMISE (0x5): a server reserving a stream for a pushed response.
    public static let pushPromise = HTTP2FrameType(0x5)
    /// PING (0x6): round-trip measurement and liveness check.
    public static let ping = HTTP2FrameType(0x6)
    /// GOAWAY (0x7): the sender stops accepting streams above an identifier.
    public static let goAway = HTTP2FrameType(0x7)
    /// WINDOW_UPDATE (0x8): flow-control credit for a stream or the connection.
    public static let windowUpdate = HTTP2FrameType(0x8)
    /// CONTINUATION (0x9): the next fragment of a field block.
    public static let continuation = HTTP2FrameType(0x9)

    /// Whether RFC 9113 defines this type (the ten above).
    @inlinable public var isKnown: Bool { rawValue <= 0x9 }

    public var description: String {
        switch rawValue {
        case 0x0: "DATA"
        case 0x1: "HEADERS"
        case 0x2: "PRIORITY"
        case 0x3: "RST_STREAM"
        case 0x4: "SETTINGS"
        case 0x5: "PUSH_PROMISE"
        case 0x6: "PING"
        case 0x7: "GOAWAY"
        case 0x8: "WINDOW_UPDATE"
        case 0x9: "CONTINUATION"
        default: "UNKNOWN(0x\(String(rawValue, radix: 16)))"
        }
    }
}
