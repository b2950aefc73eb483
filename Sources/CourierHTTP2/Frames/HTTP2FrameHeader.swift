import CourierCore

/// The 9-octet header of a frame (RFC 9113 §4.1).
public struct HTTP2FrameHeader: Hashable, Sendable {
    /// Payload length in octets.
    public var length: Int
    /// Frame type.
    public var type: HTTP2FrameType
    /// Flags, as received.
    public var flags: HTTP2FrameFlags
    /// Stream identifier (reserved bit dropped).
    public var streamID: HTTP2StreamID

    /// Creates a frame header.
    public init(length: Int, type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: HTTP2StreamID) {
        self.length = length
        self.type = type
        self.flags = flags
        self.streamID = streamID
    }

    /// Reads the header at the start of `buffer` without consuming it; nil when fewer than 9
    /// octets are readable.
    @inlinable
    public init?(peekingAt buffer: ByteBuffer) {
        guard buffer.readableBytes >= HTTP2Frame.headerSize else { return nil }
        (length, type, flags, streamID) = buffer.withUnsafeReadableBytes { bytes in
            let first = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let stream = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
            return (Int(first >> 8), HTTP2FrameType(UInt8(truncatingIfNeeded: first)), HTTP2FrameFlags(rawValue: bytes[4]),
                    HTTP2StreamID(stream))
        }
    }

    /// Appends the 9 octets to `buffer`.
    @inlinable
    public func write(into buffer: inout ByteBuffer) {
        HTTP2FrameEncoder.writeHeader(length: length, type: type, flags: flags, stream: streamID, into: &buffer)
    }
}
