import CourierCore

/// Appends HTTP/2 frames to a `ByteBuffer` (RFC 9113 §4.1, §6). Writing a frame allocates nothing
/// beyond the buffer's own growth: the connection appends all its output to one buffer that the
/// driver drains once per loop iteration.
///
/// The writers trust their arguments (the connection enforces the protocol); `encode(_:into:)`
/// writes any `HTTP2Frame` as given, for tests and tools that need to produce invalid frames too.
public enum HTTP2FrameEncoder {
    /// Appends a 9-octet frame header.
    @inlinable
    public static func writeHeader(length: Int, type: HTTP2FrameType, flags: HTTP2FrameFlags, stream: HTTP2StreamID,
                                   into buffer: inout ByteBuffer) {
        precondition(length >= 0 && length <= HTTP2Settings.maxMaxFrameSize, "frame length out of range")
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: HTTP2Frame.headerSize) { out in
            out.storeBytes(of: (UInt32(length) << 8 | UInt32(type.rawValue)).bigEndian, toByteOffset: 0, as: UInt32.self)
            out.storeBytes(of: flags.rawValue, toByteOffset: 4, as: UInt8.self)
            out.storeBytes(of: stream.rawValue.bigEndian, toByteOffset: 5, as: UInt32.self)
            return HTTP2Frame.headerSize
        }
    }

    /// Overwrites the length of the frame header written at `index`.
    @inlinable
    static func patchLength(_ length: Int, headerAt index: Int, in buffer: inout ByteBuffer) {
        let typeOctet = buffer.getInteger(at: index + 3, as: UInt8.self)!
        buffer.setInteger(UInt32(length) << 8 | UInt32(typeOctet), at: index)
    }

    /// Appends a field block as one HEADERS frame, or as HEADERS plus CONTINUATION frames when the
    /// block is longer than `maxFrameSize` (§4.3, §6.10). `writeBlock` appends the encoded block
    /// to the buffer it is given; the frames' headers are fitted around it.
    @inlinable
    public static func writeHeaderBlock(stream: HTTP2StreamID, endStream: Bool, maxFrameSize: Int,
                                        into buffer: inout ByteBuffer, _ writeBlock: (inout ByteBuffer) -> Void) {
        let start = buffer.writerIndex
        var flags: HTTP2FrameFlags = .endHeaders
        if endStream { flags.insert(.endStream) }
        writeHeader(length: 0, type: .headers, flags: flags, stream: stream, into: &buffer)
        let blockStart = buffer.writerIndex
        writeBlock(&buffer)
        let blockLength = buffer.writerIndex - blockStart
        if blockLength <= maxFrameSize {
            patchLength(blockLength, headerAt: start, in: &buffer)
            return
        }
        splitHeaderBlock(headerAt: start, blockLength: blockLength, stream: stream, maxFrameSize: maxFrameSize,
                         in: &buffer)
    }

    /// Turns an oversized HEADERS frame at the end of `buffer` into HEADERS + CONTINUATION frames.
    @usableFromInline
    static func splitHeaderBlock(headerAt start: Int, blockLength: Int, stream: HTTP2StreamID, maxFrameSize: Int,
                                 in buffer: inout ByteBuffer) {
        let blockStart = start + HTTP2Frame.headerSize
        // A copy of the tail: the buffer is rewritten below, and a shared slice would be copied anyway.
        var rest = ByteBuffer(capacity: blockLength - maxFrameSize)
        rest.writeBuffer(buffer.getSlice(at: blockStart + maxFrameSize, length: blockLength - maxFrameSize)!)
        buffer.moveWriterIndex(to: blockStart + maxFrameSize)
        patchLength(maxFrameSize, headerAt: start, in: &buffer)
        let flags = buffer.getInteger(at: start + 4, as: UInt8.self)! & ~HTTP2FrameFlags.endHeaders.rawValue
        buffer.setInteger(flags, at: start + 4)
        while rest.readableBytes > 0 {
            let chunk = rest.readSlice(length: min(maxFrameSize, rest.readableBytes))!
            writeHeader(length: chunk.readableBytes, type: .continuation,
                        flags: rest.readableBytes == 0 ? .endHeaders : [], stream: stream, into: &buffer)
            buffer.writeBuffer(chunk)
        }
    }

    /// Appends `frame` exactly as described, valid or not (padding octets are zeros).
    public static func encode(_ frame: HTTP2Frame, into buffer: inout ByteBuffer) {
        let stream = frame.streamID
        switch frame.payload {
        case .data(let data):
            encode(data, stream: stream, into: &buffer)
        case .headers(let headers):
            encode(headers, stream: stream, into: &buffer)
        case .priority(let priority):
            writePriority(stream: stream, priority, into: &buffer)
        case .rstStream(let code):
            writeRSTStream(stream: stream, code: code, into: &buffer)
        case .settings(let settings):
            if settings.ack {
                writeHeader(length: 0, type: .settings, flags: .ack, stream: stream, into: &buffer)
            } else {
                writeHeader(length: settings.settings.bytes.readableBytes, type: .settings, flags: [], stream: stream,
                            into: &buffer)
                buffer.writeBuffer(settings.settings.bytes)
            }
        case .pushPromise(let promise):
            encode(promise, stream: stream, into: &buffer)
        case .ping(let ping):
            writeHeader(length: 8, type: .ping, flags: ping.ack ? .ack : [], stream: stream, into: &buffer)
            buffer.writeInteger(ping.data.rawValue)
        case .goAway(let goAway):
            writeHeader(length: 8 + goAway.debugData.readableBytes, type: .goAway, flags: [], stream: stream,
                        into: &buffer)
            buffer.writeInteger(goAway.lastStreamID.rawValue)
            buffer.writeInteger(goAway.errorCode.rawValue)
            buffer.writeBuffer(goAway.debugData)
        case .windowUpdate(let increment):
            writeHeader(length: 4, type: .windowUpdate, flags: [], stream: stream, into: &buffer)
            buffer.writeInteger(increment)
        case .continuation(let continuation):
            encode(continuation, stream: stream, into: &buffer)
        case .unknown(let unknown):
            writeHeader(length: unknown.payload.readableBytes, type: unknown.type,
                        flags: HTTP2FrameFlags(rawValue: unknown.flags), stream: stream, into: &buffer)
            buffer.writeBuffer(unknown.payload)
        }
    }
}
