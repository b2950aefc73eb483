import CourierCore

/// Decodes HTTP/2 frames from bytes (RFC 9113 §4.1, §6). Pull API: `append(_:)` bytes as they
/// arrive, then call `nextFrame()` until it returns nil (more bytes needed).
///
/// Every rule of §6 that a frame can be checked against on its own is checked here: lengths
/// (including SETTINGS_MAX_FRAME_SIZE, §4.2), stream-identifier rules, padding, setting values,
/// PRIORITY and WINDOW_UPDATE contents. Rules that need connection state (stream states, header
/// block sequencing, flow control) belong to `HTTP2Connection`. Errors carry their scope: a
/// PRIORITY frame of the wrong length and a WINDOW_UPDATE of 0 on a stream are stream errors (the
/// frame was consumed and decoding can go on); every other error is a connection error, after
/// which the decoder must not be used again.
///
/// Payload fields are `ByteBuffer` views of the input: nothing is copied. `decodeFrame(from:maxFrameSize:)`
/// works on a caller-owned buffer directly, consuming complete frames and leaving a partial one.
public struct HTTP2FrameDecoder: Sendable {
    /// Our SETTINGS_MAX_FRAME_SIZE: longer frames are a connection error FRAME_SIZE_ERROR.
    public var maxFrameSize: Int
    private var buffer: ByteBuffer

    /// Creates a decoder that accepts frames up to `maxFrameSize` octets of payload (16,384 to
    /// 16,777,215; HTTP/2 starts at 16,384).
    public init(maxFrameSize: Int = HTTP2Settings.minMaxFrameSize) {
        precondition(maxFrameSize >= HTTP2Settings.minMaxFrameSize && maxFrameSize <= HTTP2Settings.maxMaxFrameSize,
                     "SETTINGS_MAX_FRAME_SIZE is 2^14 to 2^24 - 1")
        self.maxFrameSize = maxFrameSize
        buffer = ByteBuffer(capacity: 0)
    }

    /// Octets received but not yet decoded (a partial frame).
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Adds received bytes. When nothing is buffered the bytes are adopted without copying.
    public mutating func append(_ bytes: ByteBuffer) {
        Self.append(bytes, to: &buffer)
    }

    /// Appends `bytes` to an accumulation buffer, adopting them when it is empty and copying only
    /// the unread remainder otherwise.
    static func append(_ bytes: ByteBuffer, to buffer: inout ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = bytes
            return
        }
        guard bytes.readableBytes > 0 else { return }
        buffer.discardReadBytes()
        buffer.writeBuffer(bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func nextFrame() throws(HTTP2Error) -> HTTP2Frame? {
        try Self.decodeFrame(from: &buffer, maxFrameSize: maxFrameSize)
    }

    /// Decodes one frame from the start of `buffer` and consumes it; returns nil, consuming
    /// nothing, when the frame is not complete yet. A frame longer than `maxFrameSize` fails as
    /// soon as its header is readable.
    public static func decodeFrame(from buffer: inout ByteBuffer, maxFrameSize: Int) throws(HTTP2Error) -> HTTP2Frame? {
        guard let header = HTTP2FrameHeader(peekingAt: buffer) else { return nil }
        guard header.length <= maxFrameSize else {
            throw .connection(.frameTooLarge, .frameSizeError,
                              "\(header.length) octets, SETTINGS_MAX_FRAME_SIZE is \(maxFrameSize)", frame: header.type)
        }
        guard buffer.readableBytes >= HTTP2Frame.headerSize + header.length else { return nil }
        let payload = buffer.getSlice(at: buffer.readerIndex + HTTP2Frame.headerSize, length: header.length)!
        buffer.moveReaderIndex(forwardBy: HTTP2Frame.headerSize + header.length)
        return try decodePayload(header, payload)
    }

    /// Decodes a frame's payload given its header (the frame has been consumed already).
    static func decodePayload(_ header: HTTP2FrameHeader, _ payload: ByteBuffer) throws(HTTP2Error) -> HTTP2Frame {
        let stream = header.streamID
        let flags = header.flags
        let content: HTTP2Frame.Payload
        switch header.type {
        case .data: content = .data(try .decode(flags: flags, stream: stream, payload: payload))
        case .headers: content = .headers(try .decode(flags: flags, stream: stream, payload: payload))
        case .priority: content = .priority(try HTTP2Priority.decodeFrame(stream: stream, payload: payload))
        case .rstStream: content = .rstStream(try HTTP2ErrorCode.decodeRSTStream(stream: stream, payload: payload))
        case .settings: content = .settings(try .decode(flags: flags, stream: stream, payload: payload))
        case .pushPromise: content = .pushPromise(try .decode(flags: flags, stream: stream, payload: payload))
        case .ping: content = .ping(try .decode(flags: flags, stream: stream, payload: payload))
        case .goAway: content = .goAway(try .decode(stream: stream, payload: payload))
        case .windowUpdate: content = .windowUpdate(increment: try decodeWindowUpdate(stream: stream, payload: payload))
        case .continuation: content = .continuation(try .decode(flags: flags, stream: stream, payload: payload))
        default: content = .unknown(.init(type: header.type, flags: flags.rawValue, payload: payload))
        }
        return HTTP2Frame(streamID: stream, payload: content)
    }

    /// Strips the Pad Length octet and the padding from a padded payload (§6.1, §6.2, §6.6):
    /// returns the pad length, or nil when the frame is not padded. `fixed` is the length of the
    /// mandatory fields that follow the Pad Length octet.
    @inline(__always)
    static func stripPadding(_ payload: inout ByteBuffer, flags: HTTP2FrameFlags, fixed: Int,
                             type: HTTP2FrameType) throws(HTTP2Error) -> Int? {
        guard flags.contains(.padded) else {
            guard payload.readableBytes >= fixed else {
                throw .connection(.invalidFrameLength, .frameSizeError, "too short for its fields", frame: type)
            }
            return nil
        }
        guard payload.readableBytes >= 1 + fixed else {
            throw .connection(.invalidFrameLength, .frameSizeError, "too short for Pad Length", frame: type)
        }
        let padding = Int(payload.readInteger(as: UInt8.self)!)
        guard padding <= payload.readableBytes - fixed else {
            throw .connection(.invalidPadding, .protocolError, "\(padding) octets of padding", frame: type)
        }
        payload.moveWriterIndex(to: payload.writerIndex - padding)
        return padding
    }

    /// WINDOW_UPDATE (§6.9): 4 octets; an increment of 0 is a stream error on a stream and a
    /// connection error on stream 0.
    static func decodeWindowUpdate(stream: HTTP2StreamID, payload: ByteBuffer) throws(HTTP2Error) -> UInt32 {
        guard payload.readableBytes == 4 else {
            throw .connection(.invalidFrameLength, .frameSizeError, "WINDOW_UPDATE is 4 octets", frame: .windowUpdate)
        }
        let increment = payload.getInteger(at: payload.readerIndex, as: UInt32.self)! & 0x7fff_ffff
        guard increment != 0 else {
            if stream.isRoot {
                throw .connection(.zeroWindowIncrement, .protocolError, frame: .windowUpdate)
            }
            throw .stream(stream, .zeroWindowIncrement, .protocolError, frame: .windowUpdate)
        }
        return increment
    }
}
