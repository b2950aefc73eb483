import CourierCore

extension HTTP2Frame {
    /// A PING frame's payload (RFC 9113 §6.7).
    public struct Ping: Hashable, Sendable {
        /// The 8 opaque octets, echoed in the ACK.
        public var data: HTTP2PingData
        /// ACK: this is the response to a PING.
        public var ack: Bool

        /// Creates a PING payload.
        public init(data: HTTP2PingData, ack: Bool = false) {
            self.data = data
            self.ack = ack
        }

        /// PING (§6.7): stream 0, exactly 8 octets.
        static func decode(flags: HTTP2FrameFlags, stream: HTTP2StreamID, payload: ByteBuffer) throws(HTTP2Error) -> Ping {
            guard stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "PING on stream \(stream)", frame: .ping)
            }
            guard payload.readableBytes == 8 else {
                throw .connection(.invalidFrameLength, .frameSizeError, "PING is 8 octets", frame: .ping)
            }
            return Ping(data: HTTP2PingData(payload.getInteger(at: payload.readerIndex, as: UInt64.self)!),
                        ack: flags.contains(.ack))
        }
    }

    /// A GOAWAY frame's payload (RFC 9113 §6.8).
    public struct GoAway: Hashable, Sendable {
        /// The highest stream initiated by the receiver that the sender might process.
        public var lastStreamID: HTTP2StreamID
        /// Why the connection is closing.
        public var errorCode: HTTP2ErrorCode
        /// Opaque diagnostic octets, a view of the input.
        public var debugData: ByteBuffer

        /// Creates a GOAWAY payload.
        public init(lastStreamID: HTTP2StreamID, errorCode: HTTP2ErrorCode, debugData: ByteBuffer = ByteBuffer(capacity: 0)) {
            self.lastStreamID = lastStreamID
            self.errorCode = errorCode
            self.debugData = debugData
        }

        /// GOAWAY (§6.8): stream 0, at least 8 octets.
        static func decode(stream: HTTP2StreamID, payload: ByteBuffer) throws(HTTP2Error) -> GoAway {
            guard stream.isRoot else {
                throw .connection(.invalidStreamID, .protocolError, "GOAWAY on stream \(stream)", frame: .goAway)
            }
            guard payload.readableBytes >= 8 else {
                throw .connection(.invalidFrameLength, .frameSizeError, "GOAWAY is at least 8 octets", frame: .goAway)
            }
            var payload = payload
            let last = HTTP2StreamID(payload.readInteger(as: UInt32.self)!)
            let code = HTTP2ErrorCode(payload.readInteger(as: UInt32.self)!)
            return GoAway(lastStreamID: last, errorCode: code, debugData: payload)
        }
    }
}

extension HTTP2FrameEncoder {
    /// Appends a PING frame.
    @inlinable
    public static func writePing(_ data: HTTP2PingData, ack: Bool, into buffer: inout ByteBuffer) {
        writeHeader(length: 8, type: .ping, flags: ack ? .ack : [], stream: .root, into: &buffer)
        buffer.writeInteger(data.rawValue)
    }

    /// Appends a GOAWAY frame.
    public static func writeGoAway(lastStreamID: HTTP2StreamID, errorCode: HTTP2ErrorCode, debugData: ByteBuffer,
                                   into buffer: inout ByteBuffer) {
        writeHeader(length: 8 + debugData.readableBytes, type: .goAway, flags: [], stream: .root, into: &buffer)
        buffer.writeInteger(lastStreamID.rawValue)
        buffer.writeInteger(errorCode.rawValue)
        buffer.writeBuffer(debugData)
    }
}
