import CourierCore

/// Frames an outgoing body after its head, shared by both serializers: counts bytes against a
/// Content-Length, or writes chunks (RFC 9112 §7.1) and the trailer section.
struct BodyWriter {
    enum Mode: Equatable {
        /// No message is being written.
        case idle
        /// The head declared no body (or the body is not sent: HEAD, 304).
        case empty
        case contentLength(remaining: Int)
        case chunked
    }

    var mode = Mode.idle
    /// A chunk was opened by `beginPart` and must be closed by `endPart`.
    private var openChunk = false

    var isIdle: Bool { mode == .idle }

    mutating func begin(_ mode: Mode) {
        precondition(self.mode == .idle, "a new head was written before the previous message ended")
        self.mode = mode
        openChunk = false
    }

    mutating func beginPart(length: Int, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        precondition(!openChunk, "beginBodyPart called twice without endBodyPart")
        guard length > 0 else { return }
        switch mode {
        case .idle:
            preconditionFailure("body written before a head")
        case .empty:
            throw HTTP1SerializationError(.bodyNotAllowed, detail: "the head declared no body")
        case .contentLength(let remaining):
            guard length <= remaining else {
                throw HTTP1SerializationError(.bodyLengthMismatch, detail: "body longer than its Content-Length")
            }
            mode = .contentLength(remaining: remaining - length)
        case .chunked:
            HeadWriter.writeHex(length, into: &out)
            HeadWriter.writeStatic("\r\n", into: &out)
            openChunk = true
        }
    }

    mutating func endPart(into out: inout ByteBuffer) {
        if openChunk {
            HeadWriter.writeStatic("\r\n", into: &out)
            openChunk = false
        }
    }

    mutating func write(_ bytes: ByteBuffer, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try beginPart(length: bytes.readableBytes, into: &out)
        out.writeBuffer(bytes)
        endPart(into: &out)
    }

    mutating func end<Trailers: Sequence>(
        trailers: Trailers, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Trailers.Element == (name: String, value: String) {
        precondition(!openChunk, "writeEnd called inside a body part")
        switch mode {
        case .idle:
            preconditionFailure("writeEnd called before a head")
        case .empty, .contentLength:
            if case .contentLength(let remaining) = mode, remaining != 0 {
                throw HTTP1SerializationError(.bodyLengthMismatch,
                                              detail: "body ended \(remaining) bytes short of its Content-Length")
            }
            var iterator = trailers.makeIterator()
            if iterator.next() != nil {
                throw HTTP1SerializationError(.trailersNotAllowed, detail: "trailers need a chunked body")
            }
        case .chunked:
            let start = out.writerIndex
            HeadWriter.writeStatic("0\r\n", into: &out)
            do {
                try HeadWriter.writeFields(trailers, reserved: HeadWriter.framingAndRouting, into: &out)
            } catch {
                out.moveWriterIndex(to: start)
                throw error
            }
            HeadWriter.writeStatic("\r\n", into: &out)
        }
        mode = .idle
    }
}
