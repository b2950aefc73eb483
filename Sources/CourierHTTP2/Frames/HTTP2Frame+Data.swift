import CourierCore

extension HTTP2Frame {
    /// A DATA frame's payload (RFC 9113 §6.1).
    public struct Data: Hashable, Sendable {
        /// The content octets (padding excluded), a view of the input.
        public var data: ByteBuffer
        /// END_STREAM: the sender's last frame on this stream.
        public var endStream: Bool
        /// The number of padding octets when the frame is PADDED, nil otherwise.
        public var paddingLength: Int?

        /// Creates a DATA payload.
        public init(data: ByteBuffer, endStream: Bool = false, paddingLength: Int? = nil) {
            precondition(paddingLength.map { (0...255).contains($0) } ?? true, "padding is 0...255 octets")
            self.data = data
            self.endStream = endStream
            self.paddingLength = paddingLength
        }

        /// The octets that count against flow control: the whole payload, Pad Length and padding
        /// included (§6.1).
        public var flowControlledLength: Int { data.readableBytes + (paddingLength.map { $0 + 1 } ?? 0) }

        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                           payload: ByteBuffer) throws(HTTP2Error) -> Data {
            guard !stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "DATA on stream 0", frame: .data)
            }
            var payload = payload
            let padding = try HTTP2FrameDecoder.stripPadding(&payload, flags: flags, fixed: 0, type: .data)
            return Data(data: payload, endStream: flags.contains(.endStream), paddingLength: padding)
        }
    }
}

extension HTTP2FrameEncoder {
    /// Appends a DATA frame holding `data`'s readable bytes (at most the peer's SETTINGS_MAX_FRAME_SIZE).
    @inlinable
    public static func writeData(stream: HTTP2StreamID, data: ByteBuffer, endStream: Bool,
                                 into buffer: inout ByteBuffer) {
        writeHeader(length: data.readableBytes, type: .data, flags: endStream ? .endStream : [], stream: stream,
                    into: &buffer)
        buffer.writeBuffer(data)
    }

    static func encode(_ data: HTTP2Frame.Data, stream: HTTP2StreamID, into buffer: inout ByteBuffer) {
        var flags: HTTP2FrameFlags = data.endStream ? .endStream : []
        if data.paddingLength != nil { flags.insert(.padded) }
        writeHeader(length: data.flowControlledLength, type: .data, flags: flags, stream: stream, into: &buffer)
        if let padding = data.paddingLength { buffer.writeInteger(UInt8(padding)) }
        buffer.writeBuffer(data.data)
        if let padding = data.paddingLength { buffer.writeRepeating(0, count: padding) }
    }
}
