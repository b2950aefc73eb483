/// The identifier of one setting in a SETTINGS frame (RFC 9113 §6.5.2). An open set: receivers
/// ignore identifiers they do not know.
public struct HTTP2SettingID: Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit value on the wire.
    public let rawValue: UInt16

    /// Wraps a raw setting identifier.
    @inlinable
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// SETTINGS_HEADER_TABLE_SIZE (0x1): the HPACK dynamic table size the sender's decoder allows.
    public static let headerTableSize = HTTP2SettingID(0x1)
    /// SETTINGS_ENABLE_PUSH (0x2): whether a server may push (0 or 1; servers only send 0).
    public static let enablePush = HTTP2SettingID(0x2)
    /// SETTINGS_MAX_CONCURRENT_STREAMS (0x3): how many streams the receiver may open at once.
    public static let maxConcurrentStreams = HTTP2SettingID(0x3)
    /// SETTINGS_INITIAL_WINDOW_SIZE (0x4): the initial stream flow-control window, at most 2^31 − 1.
    public static let initialWindowSize = HTTP2SettingID(0x4)
    /// SETTINGS_MAX_FRAME_SIZE (0x5): the largest frame payload the sender accepts, 2^14 to 2^24 − 1.
    public static let maxFrameSize = HTTP2SettingID(0x5)
    /// SETTINGS_MAX_HEADER_LIST_SIZE (0x6): advisory limit of a decoded field section.
    public static let maxHeaderListSize = HTTP2SettingID(0x6)
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8, RFC 8441): extended CONNECT; 0 or 1. Not used here.
    public static let enableConnectProtocol = HTTP2SettingID(0x8)
    /// SETTINGS_NO_RFC7540_PRIORITIES (0x9, RFC 9218): 0 or 1.
    public static let noRFC7540Priorities = HTTP2SettingID(0x9)

    public var description: String {
        switch rawValue {
        case 0x1: "HEADER_TABLE_SIZE"
        case 0x2: "ENABLE_PUSH"
        case 0x3: "MAX_CONCURRENT_STREAMS"
        case 0x4: "INITIAL_WINDOW_SIZE"
        case 0x5: "MAX_FRAME_SIZE"
        case 0x6: "MAX_HEADER_LIST_SIZE"
        case 0x8: "ENABLE_CONNECT_PROTOCOL"
        case 0x9: "NO_RFC7540_PRIORITIES"
        default: "UNKNOWN_SETTING(0x\(String(rawValue, radix: 16)))"
        }
    }
}
