import CourierCore
import CourierTransport

/// A response: its head (status and fields, from swift-http-types), the protocol it came over, and its body
/// as an async sequence of byte chunks. Read the body (or drop the response) promptly: an unread body holds
/// its connection until the read timeout, and a dropped one is cancelled.
public struct HTTPClientResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse {
        didSet { status = head.status }
    }
    /// HTTP/1.1 or HTTP/2.
    public var version: HTTPProtocolVersion
    /// The body.
    public var body: Body
    /// The redirects followed to get here, in order (empty when the first answer was final).
    public var redirects: [Redirect] = []

    /// The status: the head's, kept beside it because the head parses it from its `:status` field on every read.
    public private(set) var status: HTTPResponse.Status
    /// The header fields.
    public var headerFields: HTTPFields { head.headerFields }

    /// Creates a response (for mocks and middleware).
    public init(head: HTTPResponse, version: HTTPProtocolVersion = .http1_1, body: Body = .empty) {
        self.head = head
        status = head.status
        self.version = version
        self.body = body
    }

    /// The body of a response: an `AsyncSequence` of `ByteBuffer` chunks with backpressure (the server is
    /// slowed when you read slowly), plus conveniences to collect, split into lines, or save to a file.
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        let source: Source

        enum Source: Sendable {
            case empty
            case bytes(ByteBuffer)
            case stream(BodyStreamHandle)
            /// Transformed or observed by a feature (decompression, metrics), or streamed by a mock.
            case custom(any ResponseBodySource)
        }

        /// An empty body.
        public static let empty = Body(source: .empty)

        /// A body with these bytes (for mocks and middleware).
        public static func bytes(_ buffer: ByteBuffer) -> Body { Body(source: .bytes(buffer)) }

        init(stream: BodyStream) { source = .stream(BodyStreamHandle(stream)) }

        init(source: Source) { self.source = source }

        /// Iterates the chunks; iterate once.
        public struct AsyncIterator: AsyncIteratorProtocol {
            var source: Source
            var done = false

            /// The next chunk, or nil at the end; throws `HTTPClientError` when the body fails.
            public mutating func next() async throws -> ByteBuffer? {
                try await next(isolation: nil)
            }

            /// The next chunk, running in the caller's isolation (a `for await` loop calls this one, so reading
            /// a chunk that is ready costs no executor switch).
            public mutating func next(isolation actor: isolated (any Actor)?) async throws -> ByteBuffer? {
                guard !done else { return nil }
                switch source {
                case .empty:
                    done = true
                    return nil
                case .bytes(let buffer):
                    done = true
                    return buffer.readableBytes > 0 ? buffer : nil
                case .stream(let handle):
                    do {
                        // A ready chunk (or the end) is taken without an async call.
                        let chunk: ByteBuffer?
                        if let ready = handle.stream.nextIfReady() {
                            chunk = try ready.get()
                        } else {
                            chunk = try await handle.stream.next()
                        }
                        if let chunk { return chunk }
                        done = true
                        return nil
                    } catch {
                        done = true
                        throw HTTPClientError(mapping: error)
                    }
                case .custom(let custom):
                    do {
                        if let chunk = try await custom.next() { return chunk }
                        done = true
                        return nil
                    } catch {
                        done = true
                        throw HTTPClientError(mapping: error)
                    }
                }
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }

        /// Trailers the server sent after the body (available once the body was read to its end).
        public var trailers: HTTPFields? {
            if case .custom(let custom) = source { return custom.trailers }
            guard case .stream(let handle) = source, case .finished(let trailers)? = handle.stream.endState else { return nil }
            return trailers
        }

        /// Stops reading: the rest of the body is discarded (HTTP/2 resets the stream, HTTP/1.1 closes the
        /// connection unless the body already ended).
        public func cancel() {
            switch source {
            case .stream(let handle): handle.stream.cancel()
            case .custom(let custom): custom.cancel()
            case .empty, .bytes: break
            }
        }
    }
}

/// Owns the consumer side of a body stream: when the last copy of the response body is dropped without
/// reading to the end, the stream is cancelled so the connection is freed instead of stalling.
final class BodyStreamHandle: Sendable {
    let stream: BodyStream
    init(_ stream: BodyStream) { self.stream = stream }
    deinit { if stream.endState == nil { stream.cancel() } }
}
