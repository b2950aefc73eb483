import CourierCore

/// Writes requests (client role) into a caller's buffer, validating everything it writes.
///
/// `writeRequestHead` writes the whole head as one contiguous region: the request line, `Host` first
/// (RFC 9112 §3.2 wants it early; every server accepts it there), the caller's fields, then the
/// framing field chosen from what the body knows (`Content-Length` for a known length, `Transfer-Encoding:
/// chunked` for an unknown one, nothing for no body) and `Expect: 100-continue` when asked. Invalid input
/// throws `HTTP1SerializationError` and leaves the buffer as it was. Then `writeBody` (or the zero-copy
/// pair `beginBodyPart`/`endBodyPart`) and `writeEnd` frame the body; a body that does not match its
/// declared length is an error, not a silently corrupted connection.
public struct HTTP1RequestSerializer: Sendable {
    private var body = BodyWriter()

    /// Creates a serializer for one connection.
    public init() {}

    /// Whether the previous request has been ended (a new head may be written).
    public var isIdle: Bool { body.isIdle }

    /// Writes a request head. `fields` must not contain Host, Content-Length or Transfer-Encoding: the
    /// serializer writes those. `target` is sent as given (origin form `/path?query`, absolute form for
    /// proxies, authority form for CONNECT) and must be visible ASCII.
    // Specialized for an array: iterating an unspecialized sequence allocates a coroutine frame per element.
    @_specialize(where Fields == [(name: String, value: String)])
    public mutating func writeRequestHead<Fields: Sequence>(
        method: String, target: String, host: String, fields: Fields, body length: HTTP1BodyLength,
        expectContinue: Bool = false, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Fields.Element == (name: String, value: String) {
        try writeRequestHead(method: method, target: target, host: host, body: length,
                             expectContinue: expectContinue, into: &out) { (writer) throws(HTTP1SerializationError) in
            for field in fields { try writer.write(name: field.name, value: field.value) }
        }
    }

    /// Writes a request head whose fields `writeFields` hands to the writer it is given, one by one, from
    /// wherever the caller keeps them (no intermediate list). The rules of the sequence form apply.
    public mutating func writeRequestHead(
        method: String, target: String, host: String, body length: HTTP1BodyLength,
        expectContinue: Bool = false, into out: inout ByteBuffer,
        fields writeFields: (inout HTTP1FieldWriter) throws(HTTP1SerializationError) -> Void
    ) throws(HTTP1SerializationError) {
        let start = out.writerIndex
        do {
            out.reserveCapacity(minimumWritableBytes: 256)
            try writeRequestLine(method: method, target: target, into: &out)
            try HeadWriter.writeField(name: "Host", value: host, reserved: [], into: &out)
            // The buffer is swapped into the writer and back, so its storage stays uniquely referenced.
            var writer = HTTP1FieldWriter(reserved: HeadWriter.framingAndRouting)
            swap(&out, &writer.out)
            defer { swap(&out, &writer.out) }
            try writeFields(&writer)
        } catch {
            out.moveWriterIndex(to: start)
            throw error
        }
        switch length {
        case .none:
            body.begin(.empty)
        case .known(let count):
            precondition(count >= 0, "negative body length")
            HeadWriter.writeStatic("Content-Length: ", into: &out)
            HeadWriter.writeDecimal(count, into: &out)
            HeadWriter.writeStatic("\r\n", into: &out)
            body.begin(.contentLength(remaining: count))
        case .unknown:
            HeadWriter.writeStatic("Transfer-Encoding: chunked\r\n", into: &out)
            body.begin(.chunked)
        }
        if expectContinue { HeadWriter.writeStatic("Expect: 100-continue\r\n", into: &out) }
        HeadWriter.writeStatic("\r\n", into: &out)
    }

    /// Writes a request head with no fields besides Host and framing.
    public mutating func writeRequestHead(
        method: String, target: String, host: String, body length: HTTP1BodyLength,
        expectContinue: Bool = false, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) {
        try writeRequestHead(method: method, target: target, host: host,
                             fields: EmptyCollection<(name: String, value: String)>(), body: length,
                             expectContinue: expectContinue, into: &out)
    }

    private func writeRequestLine(method: String, target: String, into out: inout ByteBuffer)
        throws(HTTP1SerializationError) {
        var method = method
        var target = target
        let failure: HTTP1SerializationError? = method.withUTF8 { methodBytes in
            target.withUTF8 { targetBytes in
                guard HeadWriter.isToken(methodBytes) else {
                    return HTTP1SerializationError(.invalidMethod, detail: String(decoding: methodBytes, as: UTF8.self))
                }
                let table = CharacterClass.table
                guard !targetBytes.isEmpty,
                      targetBytes.allSatisfy({ table[Int($0)] & CharacterClass.target != 0 }) else {
                    return HTTP1SerializationError(.invalidTarget, detail: "target must be non-empty visible ASCII")
                }
                out.writeWithUnsafeMutableBytes(minimumWritableBytes: methodBytes.count + targetBytes.count + 11) { raw in
                    var offset = HeadWriter.copy(methodBytes, to: raw, at: 0)
                    raw[offset] = ASCII.space
                    offset = HeadWriter.copy(targetBytes, to: raw, at: offset + 1)
                    let version: StaticString = " HTTP/1.1\r\n"
                    (raw.baseAddress! + offset).copyMemory(from: version.utf8Start, byteCount: 11)
                    return offset + 11
                }
                return nil
            }
        }
        if let failure { throw failure }
    }

    /// Writes body bytes, framed for the head's body length (copied into `out`).
    public mutating func writeBody(_ bytes: ByteBuffer, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.write(bytes, into: &out)
    }

    /// Zero-copy body: writes the framing that precedes `length` bytes which the caller sends itself
    /// right after `out` (a chunk-size line when chunked, nothing otherwise) and counts them. Call
    /// `endBodyPart(into:)` after those bytes.
    public mutating func beginBodyPart(length: Int, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.beginPart(length: length, into: &out)
    }

    /// Writes the framing that follows a body part started with `beginBodyPart` (CRLF when chunked).
    public mutating func endBodyPart(into out: inout ByteBuffer) {
        body.endPart(into: &out)
    }

    /// Ends the request: checks the Content-Length was met, or writes the last chunk and `trailers`.
    public mutating func writeEnd<Trailers: Sequence>(
        trailers: Trailers, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Trailers.Element == (name: String, value: String) {
        try body.end(trailers: trailers, into: &out)
    }

    /// Ends the request without trailers.
    public mutating func writeEnd(into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.end(trailers: EmptyCollection<(name: String, value: String)>(), into: &out)
    }
}
