/// The values of all settings RFC 9113 defines, as one endpoint has declared them (§6.5.2). Starts
/// at the protocol's initial values; SETTINGS frames change it one setting at a time.
public struct HTTP2Settings: Hashable, Sendable {
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table size this endpoint's decoder allows.
    public var headerTableSize: Int = 4096
    /// SETTINGS_ENABLE_PUSH: whether this endpoint accepts server push.
    public var enablePush: Bool = true
    /// SETTINGS_MAX_CONCURRENT_STREAMS: how many streams the other side may open; nil is unlimited.
    public var maxConcurrentStreams: Int? = nil
    /// SETTINGS_INITIAL_WINDOW_SIZE: the initial flow-control window of new streams.
    public var initialWindowSize: Int = 65535
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload this endpoint accepts.
    public var maxFrameSize: Int = 16384
    /// SETTINGS_MAX_HEADER_LIST_SIZE: the largest field section this endpoint accepts; nil is unlimited.
    public var maxHeaderListSize: Int? = nil

    /// The values in force before any SETTINGS frame (RFC 9113 §6.5.2).
    public static let initial = HTTP2Settings()

    /// Creates settings with the protocol's initial values.
    public init() {}

    /// The largest flow-control window, 2^31 − 1 (RFC 9113 §6.9.1).
    public static let maxWindowSize = 0x7fff_ffff
    /// The smallest allowed SETTINGS_MAX_FRAME_SIZE, 2^14.
    public static let minMaxFrameSize = 16384
    /// The largest allowed SETTINGS_MAX_FRAME_SIZE, 2^24 − 1.
    public static let maxMaxFrameSize = 16_777_215

    /// Applies one setting the way a receiver must (values already validated by the decoder);
    /// unknown identifiers are ignored (§6.5.2).
    public mutating func apply(_ setting: HTTP2Setting) {
        let value = Int(setting.value)
        switch setting.id {
        case .headerTableSize: headerTableSize = value
        case .enablePush: enablePush = value == 1
        case .maxConcurrentStreams: maxConcurrentStreams = value
        case .initialWindowSize: initialWindowSize = value
        case .maxFrameSize: maxFrameSize = value
        case .maxHeaderListSize: maxHeaderListSize = value
        default: break
        }
    }
}
