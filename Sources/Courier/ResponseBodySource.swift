import CourierCore
import Synchronization

/// Where a response body's chunks come from when a feature transforms or observes them (decompression,
/// metrics), or when a mock streams them. Implementations are safe to call from any task; a body is meant
/// to be iterated once.
protocol ResponseBodySource: AnyObject, Sendable {
    /// The next chunk, or nil at the end.
    nonisolated(nonsending) func next() async throws -> ByteBuffer?
    /// The consumer gives up: release the connection and stop producing.
    func cancel()
    /// Trailers, once the body was read to its end.
    var trailers: HTTPFields? { get }
}

extension HTTPClientResponse.Body {
    /// A body streaming the chunks of `sequence` (for mocks and middleware). Iterate it once.
    public static func stream<Chunks: AsyncSequence & Sendable>(_ sequence: Chunks) -> HTTPClientResponse.Body
    where Chunks.Element == ByteBuffer {
        HTTPClientResponse.Body(source: .custom(SequenceBodySource(sequence)))
    }

    /// This body as a source a feature can wrap.
    func makeSource() -> any ResponseBodySource {
        switch source {
        case .empty: return BufferBodySource(nil)
        case .bytes(let buffer): return BufferBodySource(buffer)
        case .stream(let handle): return handle
        case .custom(let custom): return custom
        }
    }

    /// A body reading from `source`.
    init(wrapping source: any ResponseBodySource) {
        self.init(source: .custom(source))
    }

    /// Whether the body is known to be empty without reading it.
    var isKnownEmpty: Bool {
        switch source {
        case .empty: true
        case .bytes(let buffer): buffer.readableBytes == 0
        case .stream, .custom: false
        }
    }
}

extension BodyStreamHandle: ResponseBodySource {
    nonisolated(nonsending) func next() async throws -> ByteBuffer? { try await stream.next() }
    func cancel() { stream.cancel() }
    var trailers: HTTPFields? {
        if case .finished(let trailers)? = stream.endState { return trailers }
        return nil
    }
}

/// A body held in memory, handed out once.
final class BufferBodySource: ResponseBodySource {
    private let buffer: Locked<ByteBuffer?>

    init(_ buffer: ByteBuffer?) { self.buffer = Locked(buffer) }

    nonisolated(nonsending) func next() async throws -> ByteBuffer? {
        buffer.withLock { buffer in
            defer { buffer = nil }
            return buffer.flatMap { $0.readableBytes > 0 ? $0 : nil }
        }
    }

    func cancel() { buffer.withLock { $0 = nil } }
    var trailers: HTTPFields? { nil }
}

/// A body streamed from an async sequence given by a mock or middleware.
final class SequenceBodySource: ResponseBodySource, @unchecked Sendable {
    // Sendable proof: `iterator` is touched only by the task that won the `busy` flag (an atomic exchange),
    // so two tasks can never run `next()` on it at once; a concurrent caller gets an error instead.
    private var iterator: AnyChunkSequence.AsyncIterator?
    private let busy = Atomic<Bool>(false)
    private let cancelled = Atomic<Bool>(false)

    init<Chunks: AsyncSequence & Sendable>(_ sequence: Chunks) where Chunks.Element == ByteBuffer {
        iterator = AnyChunkSequence(sequence).makeAsyncIterator()
    }

    nonisolated(nonsending) func next() async throws -> ByteBuffer? {
        guard !busy.exchange(true, ordering: .acquiring) else {
            throw HTTPClientError(.invalidRequest, "a response body was iterated by two tasks at once")
        }
        defer { busy.store(false, ordering: .releasing) }
        if cancelled.load(ordering: .relaxed) { throw CancellationError() }
        guard var current = iterator else { return nil }
        do {
            while let chunk = try await current.next() {
                if chunk.readableBytes > 0 {
                    iterator = current
                    return chunk
                }
            }
            iterator = nil
            return nil
        } catch {
            iterator = nil
            throw error
        }
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var trailers: HTTPFields? { nil }
}
