import CourierCore

extension HTTP2Frame {
    /// A SETTINGS frame's payload (RFC 9113 §6.5): settings, or an acknowledgement.
    public struct Settings: Hashable, Sendable {
        /// ACK: acknowledges the peer's oldest unacknowledged SETTINGS; carries no settings.
        public var ack: Bool
        /// The settings, in wire order (empty for an ACK).
        public var settings: HTTP2SettingsList

        /// Creates a SETTINGS payload.
        public init(ack: Bool = false, settings: HTTP2SettingsList = []) {
            precondition(!ack || settings.isEmpty, "a SETTINGS ACK carries no settings")
            self.ack = ack
            self.settings = settings
        }

        /// SETTINGS (§6.5): stream 0; an ACK is empty; otherwise a multiple of 6 octets, each value
        /// within the range §6.5.2 gives it (unknown identifiers are kept, to be ignored).
        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                           payload: ByteBuffer) throws(HTTP2Error) -> Settings {
            guard stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "SETTINGS on stream \(stream)", frame: .settings)
            }
            if flags.contains(.ack) {
                guard payload.readableBytes == 0 else {
                    throw .connection(.invalidFrameLength, .frameSizeError, "SETTINGS ACK with a payload",
                                      frame: .settings)
                }
                return Settings(ack: true)
            }
            guard payload.readableBytes % 6 == 0 else {
                throw .connection(.invalidFrameLength, .frameSizeError, "SETTINGS length is not a multiple of 6",
                                  frame: .settings)
            }
            let list = HTTP2SettingsList(payload: payload)
            for setting in list { try validate(setting) }
            return Settings(ack: false, settings: list)
        }

        /// The range checks of §6.5.2 (and of RFC 8441 and RFC 9218 for their 0-or-1 settings).
        static func validate(_ setting: HTTP2Setting) throws(HTTP2Error) {
            switch setting.id {
            case .enablePush, .enableConnectProtocol, .noRFC7540Priorities:
                guard setting.value <= 1 else {
                    throw .connection(.invalidSettingValue, .protocolError, "\(setting.id) = \(setting.value)",
                                      frame: .settings)
                }
            case .initialWindowSize:
                guard setting.value <= UInt32(HTTP2Settings.maxWindowSize) else {
                    throw .connection(.invalidSettingValue, .flowControlError, "INITIAL_WINDOW_SIZE = \(setting.value)",
                                      frame: .settings)
                }
            case .maxFrameSize:
                guard setting.value >= UInt32(HTTP2Settings.minMaxFrameSize),
                      setting.value <= UInt32(HTTP2Settings.maxMaxFrameSize) else {
                    throw .connection(.invalidSettingValue, .protocolError, "MAX_FRAME_SIZE = \(setting.value)",
                                      frame: .settings)
                }
            default:
                break
            }
        }
    }
}

extension HTTP2FrameEncoder {
    /// Appends a SETTINGS frame carrying `settings`.
    public static func writeSettings(_ settings: some Sequence<HTTP2Setting>, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        writeHeader(length: 0, type: .settings, flags: [], stream: .root, into: &buffer)
        var count = 0
        for setting in settings {
            buffer.writeInteger(setting.id.rawValue)
            buffer.writeInteger(setting.value)
            count += 1
        }
        patchLength(6 * count, headerAt: start, in: &buffer)
    }

    /// Appends an empty SETTINGS frame with ACK.
    @inlinable
    public static func writeSettingsAck(into buffer: inout ByteBuffer) {
        writeHeader(length: 0, type: .settings, flags: .ack, stream: .root, into: &buffer)
    }
}
