import CourierCore
import CourierTransport
import HTTPTypes

/// A request's body as the handler receives it: an async sequence of chunks, streamed from the connection
/// with backpressure (the server stops reading while the handler lags), or collected whole.
///
/// The body can be read once. A handler that does not read it may answer anyway: the server then discards
/// the rest (or closes the connection when the client waits for `100 Continue` that was never sent).
/// For `Expect: 100-continue` requests the server sends `100 Continue` when the handler starts reading
/// (unless configured otherwise), so a handler that rejects the request without reading it gets the body
/// never sent.
public struct TestRequestBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let stream: BodyStream?
    let willRead: (@Sendable () -> Void)?
    /// The length the client declared (Content-Length), nil when chunked or unknown; 0 without a body.
    public let declaredLength: Int?

    init(stream: BodyStream?, declaredLength: Int?, willRead: (@Sendable () -> Void)?) {
        self.stream = stream
        self.declaredLength = declaredLength
        self.willRead = willRead
    }

    /// A body that is already complete (for handlers called directly in tests).
    public init(_ bytes: ByteBuffer) {
        let stream = BodyStream()
        stream.yield(bytes)
        stream.finish()
        self.init(stream: stream, declaredLength: bytes.readableBytes, willRead: nil)
    }

    /// No body.
    public static let empty = TestRequestBody(stream: nil, declaredLength: 0, willRead: nil)

    /// Whether the request has a body (a Content-Length above zero, or chunked framing).
    public var isPresent: Bool { stream != nil }

    /// Iterates over the body's chunks; throws when the connection fails before the body ends.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: BodyStream?
        var willRead: (@Sendable () -> Void)?

        /// The next chunk, or nil at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            guard let stream else { return nil }
            if let willRead {
                self.willRead = nil
                willRead()
            }
            return try await stream.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: stream, willRead: willRead)
    }

    /// The whole body in one buffer; throws `bodyTooLarge` when it exceeds `limit` bytes (the rest is
    /// discarded by the server).
    public func collect(upTo limit: Int = 16 << 20) async throws -> ByteBuffer {
        if let declaredLength, declaredLength > limit {
            stream?.cancel()
            throw TestServerError(.bodyTooLarge, "the request declared \(declaredLength) bytes, above \(limit)")
        }
        var result = ByteBuffer(capacity: declaredLength ?? 0)
        for try await chunk in self {
            guard result.readableBytes + chunk.readableBytes <= limit else {
                stream?.cancel()
                throw TestServerError(.bodyTooLarge, "the request body exceeded \(limit) bytes")
            }
            result.writeBuffer(chunk)
        }
        return result
    }

    /// The whole body decoded as UTF-8 (invalid sequences replaced).
    public func collectString(upTo limit: Int = 16 << 20) async throws -> String {
        let bytes = try await collect(upTo: limit)
        return bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes) ?? ""
    }

    /// Reads and drops the body; returns its size.
    @discardableResult
    public func drain() async throws -> Int {
        var count = 0
        for try await chunk in self { count += chunk.readableBytes }
        return count
    }

    /// The trailers of a chunked body, once the body has been read to its end.
    public var trailers: HTTPFields? {
        if case .finished(let trailers)? = stream?.endState { return trailers }
        return nil
    }
}
