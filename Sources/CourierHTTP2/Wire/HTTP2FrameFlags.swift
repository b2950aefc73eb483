/// The flags octet of an HTTP/2 frame. Each frame type defines its own flags (RFC 9113 §6); flags a
/// type does not define are ignored on receipt and never sent (§4.1).
public struct HTTP2FrameFlags: OptionSet, Hashable, Sendable {
    /// The octet on the wire.
    public let rawValue: UInt8

    /// Wraps a raw flags octet.
    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// END_STREAM (0x1) on DATA and HEADERS: the last frame the sender sends on the stream.
    public static let endStream = HTTP2FrameFlags(rawValue: 0x1)
    /// ACK (0x1) on SETTINGS and PING: an acknowledgement.
    public static let ack = HTTP2FrameFlags(rawValue: 0x1)
    /// END_HEADERS (0x4) on HEADERS, PUSH_PROMISE and CONTINUATION: the field block is complete.
    public static let endHeaders = HTTP2FrameFlags(rawValue: 0x4)
    /// PADDED (0x8) on DATA, HEADERS and PUSH_PROMISE: a Pad Length octet and padding are present.
    public static let padded = HTTP2FrameFlags(rawValue: 0x8)
    /// PRIORITY (0x20) on HEADERS: the deprecated priority fields are present.
    public static let priority = HTTP2FrameFlags(rawValue: 0x20)
}
