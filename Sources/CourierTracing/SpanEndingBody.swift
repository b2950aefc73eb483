import CourierCore
import Courier
import Tracing

/// Ends a span exactly once: when the body ends or fails, or, if the body is dropped unread, when the last
/// reference goes away.
final class SpanEnding<S: Span>: Sendable {
    private let span: Locked<S?>

    init(_ span: S) { self.span = Locked(span) }

    func end(failure: HTTPClientError? = nil) {
        guard let span = span.withLock({ span in defer { span = nil }; return span }) else { return }
        if let failure {
            span.attributes["error.type"] = failure.code.description
            span.recordError(failure)
            span.setStatus(SpanStatus(code: .error, message: failure.message))
        }
        span.end()
    }

    deinit { end() }
}

/// A response body that ends its request's span when it is read to the end, fails, or is dropped.
struct SpanEndingBody<S: Span>: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: HTTPClientResponse.Body
    let ending: SpanEnding<S>

    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        let ending: SpanEnding<S>

        mutating func next() async throws -> ByteBuffer? {
            do {
                guard let chunk = try await chunks.next() else {
                    ending.end()
                    return nil
                }
                return chunk
            } catch let error as HTTPClientError {
                ending.end(failure: error)
                throw error
            } catch {
                ending.end(failure: HTTPClientError(.cancelled, "the response body failed: \(error)"))
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator(), ending: ending) }
}
