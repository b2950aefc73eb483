import CourierCore

/// The body of a `TestResponse`: nothing, bytes known up front, or chunks produced while sending (from an
/// async sequence or a generator closure), with the length declared up front or left open.
///
/// A body with a known `length` goes out with `Content-Length` on HTTP/1.1; one without is chunked. Chunks
/// are sent as the generator writes them, with backpressure: a writer waits while the client is not
/// reading, so a body of any size is served in bounded memory.
public struct TestResponseBody: Sendable {
    enum Content: Sendable {
        case empty
        case bytes(ByteBuffer)
        case generated(@Sendable (TestBodyWriter) async throws -> Void)
    }

    let content: Content
    /// The number of body bytes when known in advance; nil for a streamed body of unknown length.
    public let length: Int?

    private init(_ content: Content, length: Int?) {
        self.content = content
        self.length = length
    }

    /// No body (`Content-Length: 0` where a body is allowed).
    public static let empty = TestResponseBody(.empty, length: 0)

    /// These bytes.
    public static func bytes(_ bytes: ByteBuffer) -> TestResponseBody {
        TestResponseBody(.bytes(bytes), length: bytes.readableBytes)
    }

    /// These bytes.
    public static func bytes(_ bytes: [UInt8]) -> TestResponseBody {
        .bytes(ByteBuffer(bytes: bytes))
    }

    /// The UTF-8 bytes of `text`.
    public static func string(_ text: String) -> TestResponseBody {
        .bytes(ByteBuffer(string: text))
    }

    /// The chunks of `sequence`, sent as they come. `length`, when given, must be the total byte count.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        _ sequence: Chunks, length: Int? = nil
    ) -> TestResponseBody where Chunks.Element == ByteBuffer {
        TestResponseBody(.generated({ writer in
            for try await chunk in sequence { try await writer.write(chunk) }
        }), length: length)
    }

    /// Chunks produced by `body`, which writes them through the writer it is given (each write waits while
    /// the client is not reading). `length`, when given, must be the total byte count.
    public static func generate(
        length: Int? = nil, _ body: @escaping @Sendable (TestBodyWriter) async throws -> Void
    ) -> TestResponseBody {
        precondition(length.map { $0 >= 0 } ?? true, "a body length cannot be negative")
        return TestResponseBody(.generated(body), length: length)
    }

    /// `count` bytes of the deterministic `TestPattern`, generated while sending in pieces of `chunkSize`
    /// (never held in memory as a whole). `declaresLength` false sends it chunked.
    public static func pattern(count: Int, chunkSize: Int = 64 * 1024, declaresLength: Bool = true) -> TestResponseBody {
        precondition(count >= 0 && chunkSize > 0, "a pattern needs a non-negative count and a positive chunk size")
        return .generate(length: declaresLength ? count : nil) { writer in
            var offset = 0
            while offset < count {
                let size = min(chunkSize, count - offset)
                try await writer.write(TestPattern.bytes(offset: offset, count: size))
                offset += size
            }
        }
    }

    /// Runs the body into one buffer of at most `limit` bytes (for peers that need a length up front).
    func collected(limit: Int) async throws -> TestResponseBody {
        switch content {
        case .empty, .bytes:
            return self
        case .generated(let generate):
            let collector = BodyCollector(limit: limit)
            try await generate(TestBodyWriter(sink: collector))
            return .bytes(collector.bytes)
        }
    }
}

/// Where a `TestBodyWriter` sends chunks.
protocol BodySink: Sendable {
    func write(_ chunk: ByteBuffer) async throws
}

/// Hands a generated response body to the server, one chunk at a time, waiting while the client is not
/// reading. A write throws once the response cannot continue (the connection closed, a fault interrupted
/// the body, or the request was HEAD and wants no body): the generator should then stop. Write from one
/// task at a time: concurrent writes may interleave.
public struct TestBodyWriter: Sendable {
    let sink: any BodySink

    /// Sends `chunk` (empty chunks are skipped).
    public func write(_ chunk: ByteBuffer) async throws {
        guard chunk.readableBytes > 0 else { return }
        try await sink.write(chunk)
    }

    /// Sends `bytes`.
    public func write(_ bytes: [UInt8]) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }

    /// Sends the UTF-8 bytes of `text`.
    public func write(_ text: String) async throws {
        try await write(ByteBuffer(string: text))
    }
}
