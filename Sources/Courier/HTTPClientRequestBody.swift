import CourierCore
#if canImport(Glibc)
import Glibc
#endif

/// A request body: bytes known in advance, a file streamed from disk, or an async sequence of chunks.
public struct HTTPClientRequestBody: Sendable {
    enum Storage: Sendable {
        case bytes(ByteBuffer)
        case file(path: String, length: Int, chunkSize: Int)
        case stream(length: Int?, make: @Sendable () -> AnyChunkSequence)
    }

    let storage: Storage
    /// Whether the body can be sent again (for redirects and retries): bytes, files and stream factories can.
    public let isReplayable: Bool
    /// The `Content-Type` this body implies (forms, multipart), applied when the request sets none.
    public var contentType: String? = nil
    /// Fields sent after the body, computed once all of it was sent (a digest or signature of a streamed
    /// body, for example): HTTP/2 trailers, or the trailer section of a chunked HTTP/1.1 body (a body with
    /// trailers goes chunked on HTTP/1.1 even when its length is known). Called once per attempt.
    public var trailers: (@Sendable () async -> HTTPFields)? = nil

    /// This body with `trailers` sent after it.
    public func withTrailers(_ trailers: @escaping @Sendable () async -> HTTPFields) -> HTTPClientRequestBody {
        var body = self
        body.trailers = trailers
        return body
    }

    /// The body's length, when known in advance.
    public var length: Int? {
        switch storage {
        case .bytes(let buffer): buffer.readableBytes
        case .file(_, let length, _): length
        case .stream(let length, _): length
        }
    }

    /// These bytes.
    public static func bytes(_ buffer: ByteBuffer) -> HTTPClientRequestBody {
        HTTPClientRequestBody(storage: .bytes(buffer), isReplayable: true)
    }

    /// These bytes.
    public static func bytes(_ bytes: some Sequence<UInt8>) -> HTTPClientRequestBody {
        .bytes(ByteBuffer(bytes: bytes))
    }

    /// The UTF-8 bytes of a string.
    public static func string(_ string: String) -> HTTPClientRequestBody {
        .bytes(ByteBuffer(string: string))
    }

    /// A file, read in chunks as the connection takes them (never loaded whole).
    public static func file(path: String, chunkSize: Int = 256 * 1024) throws(HTTPClientError) -> HTTPClientRequestBody {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HTTPClientError(.invalidRequest, "cannot read \(path) (errno \(errno))")
        }
        return HTTPClientRequestBody(storage: .file(path: path, length: Int(info.st_size), chunkSize: chunkSize),
                                     isReplayable: true)
    }

    /// Chunks from an async sequence, sent as they come with backpressure. Not replayable.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks, length: Int? = nil
    ) -> HTTPClientRequestBody where Chunks.Element == ByteBuffer {
        HTTPClientRequestBody(storage: .stream(length: length, make: { AnyChunkSequence(chunks) }), isReplayable: false)
    }

    /// Chunks from a sequence made anew for every attempt, so the body can be replayed.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        length: Int? = nil, _ make: @escaping @Sendable () -> Chunks
    ) -> HTTPClientRequestBody where Chunks.Element == ByteBuffer {
        HTTPClientRequestBody(storage: .stream(length: length, make: { AnyChunkSequence(make()) }), isReplayable: true)
    }
}

/// A type-erased async sequence of byte chunks.
struct AnyChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    private let makeNext: @Sendable () -> (@Sendable () async throws -> ByteBuffer?)

    init<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks) where Chunks.Element == ByteBuffer {
        makeNext = {
            let box = IteratorBox(chunks.makeAsyncIterator())
            return { try await box.next() }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let pull: @Sendable () async throws -> ByteBuffer?
        mutating func next() async throws -> ByteBuffer? { try await pull() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pull: makeNext()) }
}

/// Holds a sequence's iterator so a Sendable closure can drive it. Sendable proof: the request body is
/// iterated by exactly one task (the request's), one `next()` at a time.
private final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable where Iterator.Element == ByteBuffer {
    var iterator: Iterator
    init(_ iterator: Iterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
