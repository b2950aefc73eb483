import CourierCore

extension HTTP2Frame {
    /// A PUSH_PROMISE frame's payload (RFC 9113 §6.6). We never push and refuse pushes, but the
    /// frame is decoded fully so its field block keeps HPACK in step.
    public struct PushPromise: Hashable, Sendable {
        /// The stream the server reserves (even, not 0).
        public var promisedStreamID: HTTP2StreamID
        /// The field block fragment (padding excluded), a view of the input.
        public var fragment: ByteBuffer
        /// END_HEADERS: the field block is complete; otherwise CONTINUATION frames follow.
        public var endHeaders: Bool
        /// The number of padding octets when the frame is PADDED, nil otherwise.
        public var paddingLength: Int?

        /// Creates a PUSH_PROMISE payload.
        public init(promisedStreamID: HTTP2StreamID, fragment: ByteBuffer, endHeaders: Bool = true,
                    paddingLength: Int? = nil) {
            precondition(paddingLength.map { (0...255).contains($0) } ?? true, "padding is 0...255 octets")
            self.promisedStreamID = promisedStreamID
            self.fragment = fragment
            self.endHeaders = endHeaders
            self.paddingLength = paddingLength
        }

        /// PUSH_PROMISE (§6.6): on a stream; the promised stream must be a server stream (even, not 0).
        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                           payload: ByteBuffer) throws(HTTP2Error) -> PushPromise {
            guard !stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "PUSH_PROMISE on stream 0", frame: .pushPromise)
            }
            var payload = payload
            let padding = try HTTP2FrameDecoder.stripPadding(&payload, flags: flags, fixed: 4, type: .pushPromise)
            let promised = HTTP2StreamID(payload.readInteger(as: UInt32.self)!)
            guard promised.isServerInitiated else {
                throw .connection(.invalidPromisedStreamID, .protocolError, "promised stream \(promised)",
                                  frame: .pushPromise)
            }
            return PushPromise(promisedStreamID: promised, fragment: payload, endHeaders: flags.contains(.endHeaders),
                               paddingLength: padding)
        }
    }

    /// A CONTINUATION frame's payload (RFC 9113 §6.10).
    public struct Continuation: Hashable, Sendable {
        /// The next field block fragment, a view of the input.
        public var fragment: ByteBuffer
        /// END_HEADERS: this fragment ends the field block.
        public var endHeaders: Bool

        /// Creates a CONTINUATION payload.
        public init(fragment: ByteBuffer, endHeaders: Bool = true) {
            self.fragment = fragment
            self.endHeaders = endHeaders
        }

        /// CONTINUATION (§6.10): on a stream. Whether it may follow the previous frame is the
        /// connection's check.
        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                           payload: ByteBuffer) throws(HTTP2Error) -> Continuation {
            guard !stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "CONTINUATION on stream 0", frame: .continuation)
            }
            return Continuation(fragment: payload, endHeaders: flags.contains(.endHeaders))
        }
    }
}

extension HTTP2FrameEncoder {
    static func encode(_ promise: HTTP2Frame.PushPromise, stream: HTTP2StreamID, into buffer: inout ByteBuffer) {
        var flags: HTTP2FrameFlags = promise.endHeaders ? .endHeaders : []
        if promise.paddingLength != nil { flags.insert(.padded) }
        let length = 4 + promise.fragment.readableBytes + (promise.paddingLength.map { $0 + 1 } ?? 0)
        writeHeader(length: length, type: .pushPromise, flags: flags, stream: stream, into: &buffer)
        if let padding = promise.paddingLength { buffer.writeInteger(UInt8(padding)) }
        buffer.writeInteger(promise.promisedStreamID.rawValue)
        buffer.writeBuffer(promise.fragment)
        if let padding = promise.paddingLength { buffer.writeRepeating(0, count: padding) }
    }

    static func encode(_ continuation: HTTP2Frame.Continuation, stream: HTTP2StreamID, into buffer: inout ByteBuffer) {
        writeHeader(length: continuation.fragment.readableBytes, type: .continuation,
                    flags: continuation.endHeaders ? .endHeaders : [], stream: stream, into: &buffer)
        buffer.writeBuffer(continuation.fragment)
    }
}
