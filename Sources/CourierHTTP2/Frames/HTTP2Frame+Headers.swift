import CourierCore

extension HTTP2Frame {
    /// A HEADERS frame's payload (RFC 9113 §6.2).
    public struct Headers: Hashable, Sendable {
        /// The field block fragment (padding and priority fields excluded), a view of the input.
        public var fragment: ByteBuffer
        /// END_STREAM: the field block is the last the sender sends on this stream.
        public var endStream: Bool
        /// END_HEADERS: the field block is complete; otherwise CONTINUATION frames follow.
        public var endHeaders: Bool
        /// The deprecated priority fields, when the PRIORITY flag is set.
        public var priority: HTTP2Priority?
        /// The number of padding octets when the frame is PADDED, nil otherwise.
        public var paddingLength: Int?

        /// Creates a HEADERS payload.
        public init(fragment: ByteBuffer, endStream: Bool = false, endHeaders: Bool = true,
                    priority: HTTP2Priority? = nil, paddingLength: Int? = nil) {
            precondition(paddingLength.map { (0...255).contains($0) } ?? true, "padding is 0...255 octets")
            self.fragment = fragment
            self.endStream = endStream
            self.endHeaders = endHeaders
            self.priority = priority
            self.paddingLength = paddingLength
        }

        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                           payload: ByteBuffer) throws(HTTP2Error) -> Headers {
            guard !stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "HEADERS on stream 0", frame: .headers)
            }
            var payload = payload
            let hasPriority = flags.contains(.priority)
            let padding = try HTTP2FrameDecoder.stripPadding(&payload, flags: flags, fixed: hasPriority ? 5 : 0,
                                                             type: .headers)
            let priority = hasPriority ? HTTP2Priority.read(from: &payload) : nil
            return Headers(fragment: payload, endStream: flags.contains(.endStream),
                           endHeaders: flags.contains(.endHeaders), priority: priority, paddingLength: padding)
        }
    }
}

extension HTTP2FrameEncoder {
    static func encode(_ headers: HTTP2Frame.Headers, stream: HTTP2StreamID, into buffer: inout ByteBuffer) {
        var flags: HTTP2FrameFlags = []
        if headers.endStream { flags.insert(.endStream) }
        if headers.endHeaders { flags.insert(.endHeaders) }
        if headers.priority != nil { flags.insert(.priority) }
        if headers.paddingLength != nil { flags.insert(.padded) }
        let length = headers.fragment.readableBytes + (headers.priority == nil ? 0 : 5)
            + (headers.paddingLength.map { $0 + 1 } ?? 0)
        writeHeader(length: length, type: .headers, flags: flags, stream: stream, into: &buffer)
        if let padding = headers.paddingLength { buffer.writeInteger(UInt8(padding)) }
        headers.priority?.write(into: &buffer)
        buffer.writeBuffer(headers.fragment)
        if let padding = headers.paddingLength { buffer.writeRepeating(0, count: padding) }
    }
}
