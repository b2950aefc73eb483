/// An HTTP/2 error code as carried by RST_STREAM and GOAWAY (RFC 9113 §7). An open set: unknown
/// codes from a peer are kept as they are and trigger no special behaviour.
public struct HTTP2ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit value on the wire.
    public let rawValue: UInt32

    /// Wraps a raw error code.
    @inlinable
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// NO_ERROR (0x0): not an error, e.g. a graceful GOAWAY.
    public static let noError = HTTP2ErrorCode(0x0)
    /// PROTOCOL_ERROR (0x1): an unspecific protocol violation.
    public static let protocolError = HTTP2ErrorCode(0x1)
    /// INTERNAL_ERROR (0x2): the endpoint failed internally.
    public static let internalError = HTTP2ErrorCode(0x2)
    /// FLOW_CONTROL_ERROR (0x3): the peer violated flow control.
    public static let flowControlError = HTTP2ErrorCode(0x3)
    /// SETTINGS_TIMEOUT (0x4): SETTINGS were not acknowledged in time.
    public static let settingsTimeout = HTTP2ErrorCode(0x4)
    /// STREAM_CLOSED (0x5): a frame arrived after the stream was half-closed.
    public static let streamClosed = HTTP2ErrorCode(0x5)
    /// FRAME_SIZE_ERROR (0x6): a frame had an invalid size.
    public static let frameSizeError = HTTP2ErrorCode(0x6)
    /// REFUSED_STREAM (0x7): the stream was refused before any processing; safe to retry.
    public static let refusedStream = HTTP2ErrorCode(0x7)
    /// CANCEL (0x8): the stream is no longer needed.
    public static let cancel = HTTP2ErrorCode(0x8)
    /// COMPRESSION_ERROR (0x9): the field compression context cannot be maintained.
    public static let compressionError = HTTP2ErrorCode(0x9)
    /// CONNECT_ERROR (0xa): the tunnel of a CONNECT request failed.
    public static let connectError = HTTP2ErrorCode(0xa)
    /// ENHANCE_YOUR_CALM (0xb): the peer generates excessive load.
    public static let enhanceYourCalm = HTTP2ErrorCode(0xb)
    /// INADEQUATE_SECURITY (0xc): the transport is not secure enough.
    public static let inadequateSecurity = HTTP2ErrorCode(0xc)
    /// HTTP_1_1_REQUIRED (0xd): use HTTP/1.1 instead.
    public static let http11Required = HTTP2ErrorCode(0xd)

    public var description: String {
        switch rawValue {
        case 0x0: "NO_ERROR"
        case 0x1: "PROTOCOL_ERROR"
        case 0x2: "INTERNAL_ERROR"
        case 0x3: "FLOW_CONTROL_ERROR"
        case 0x4: "SETTINGS_TIMEOUT"
        case 0x5: "STREAM_CLOSED"
        case 0x6: "FRAME_SIZE_ERROR"
        case 0x7: "REFUSED_STREAM"
        case 0x8: "CANCEL"
        case 0x9: "COMPRESSION_ERROR"
        case 0xa: "CONNECT_ERROR"
        case 0xb: "ENHANCE_YOUR_CALM"
        case 0xc: "INADEQUATE_SECURITY"
        case 0xd: "HTTP_1_1_REQUIRED"
        default: "UNKNOWN_ERROR(0x\(String(rawValue, radix: 16)))"
        }
    }
}
