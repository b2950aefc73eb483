import CourierCore

extension HTTP2Priority {
    /// Reads the 5 octets of priority fields (the caller checked they are there).
    static func read(from payload: inout ByteBuffer) -> HTTP2Priority {
        let dependency = payload.readInteger(as: UInt32.self)!
        let weight = Int(payload.readInteger(as: UInt8.self)!) + 1
        return HTTP2Priority(exclusive: dependency & 0x8000_0000 != 0, dependency: HTTP2StreamID(dependency),
                             weight: weight)
    }

    /// Appends the 5 octets of priority fields.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeInteger(dependency.rawValue | (exclusive ? 0x8000_0000 : 0))
        buffer.writeInteger(UInt8(weight - 1))
    }

    /// PRIORITY (§6.3): 5 octets on a stream. A wrong length is a stream error, and so is a stream
    /// depending on itself (§5.3.1 of RFC 7540).
    static func decodeFrame(stream: HTTP2StreamID, payload: ByteBuffer) throws(HTTP2Error) -> HTTP2Priority {
        guard !stream.isRoot else {
            throw .connection(.invalidStreamID, .protocolError, "PRIORITY on stream 0", frame: .priority)
        }
        guard payload.readableBytes == 5 else {
            throw .stream(stream, .invalidFrameLength, .frameSizeError, "PRIORITY is 5 octets", frame: .priority)
        }
        var payload = payload
        let priority = read(from: &payload)
        guard priority.dependency != stream else {
            throw .stream(stream, .selfDependency, .protocolError, frame: .priority)
        }
        return priority
    }
}

extension HTTP2ErrorCode {
    /// RST_STREAM (§6.4): 4 octets on a stream.
    static func decodeRSTStream(stream: HTTP2StreamID, payload: ByteBuffer) throws(HTTP2Error) -> HTTP2ErrorCode {
        guard !stream.isRoot else {
            throw .connection(.invalidStreamID, .protocolError, "RST_STREAM on stream 0", frame: .rstStream)
        }
        guard payload.readableBytes == 4 else {
            throw .connection(.invalidFrameLength, .frameSizeError, "RST_STREAM is 4 octets", frame: .rstStream)
        }
        return HTTP2ErrorCode(payload.getInteger(at: payload.readerIndex, as: UInt32.self)!)
    }
}

extension HTTP2FrameEncoder {
    /// Appends a PRIORITY frame.
    public static func writePriority(stream: HTTP2StreamID, _ priority: HTTP2Priority, into buffer: inout ByteBuffer) {
        writeHeader(length: 5, type: .priority, flags: [], stream: stream, into: &buffer)
        priority.write(into: &buffer)
    }

    /// Appends a RST_STREAM frame.
    @inlinable
    public static func writeRSTStream(stream: HTTP2StreamID, code: HTTP2ErrorCode, into buffer: inout ByteBuffer) {
        writeHeader(length: 4, type: .rstStream, flags: [], stream: stream, into: &buffer)
        buffer.writeInteger(code.rawValue)
    }

    /// Appends a WINDOW_UPDATE frame (`increment` 1 to 2^31 − 1).
    @inlinable
    public static func writeWindowUpdate(stream: HTTP2StreamID, increment: Int, into buffer: inout ByteBuffer) {
        precondition(increment > 0 && increment <= HTTP2Settings.maxWindowSize, "window increment out of range")
        writeHeader(length: 4, type: .windowUpdate, flags: [], stream: stream, into: &buffer)
        buffer.writeInteger(UInt32(increment))
    }
}
