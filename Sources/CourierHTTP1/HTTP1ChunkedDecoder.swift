import CourierCore

/// Decodes one chunked body (RFC 9112 §7.1) on its own, outside a message parser: the same decoder the
/// parsers use, for bodies obtained some other way and for fuzzing.
///
/// Pull style like the parsers: `append(_:)`, then `next()` until nil; `.end` carries the trailers.
/// Bytes after the end of the body stay buffered (`takeBufferedBytes()`).
public struct HTTP1ChunkedDecoder: Sendable {
    /// One step of the body.
    public enum Event: Sendable {
        /// Decoded body bytes (a view of the input, no copy). Never empty.
        case data(ByteBuffer)
        /// The last chunk and the trailer section were read.
        case end(trailers: HTTP1Fields?)
    }

    private var input = InputBuffer()
    private var state = ChunkedBodyState()
    private var finished = false
    private var failure: HTTP1Error?
    private let limits: HTTP1Limits
    private let allowsBareLineFeed: Bool

    /// Creates a decoder with the given limits (extension and trailer sizes, trailer count).
    public init(limits: HTTP1Limits = HTTP1Limits(), allowsBareLineFeed: Bool = false) {
        self.limits = limits
        self.allowsBareLineFeed = allowsBareLineFeed
    }

    /// Adds encoded bytes.
    public mutating func append(_ bytes: ByteBuffer) { input.append(bytes) }

    /// Adds encoded bytes by copying them.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) { input.append(bytes) }

    /// Signals that no more bytes will come; an unfinished body then fails with `.truncatedBody`.
    public mutating func finish() { input.receivedEOF = true }

    /// The next event, or nil when more bytes are needed or the body has ended.
    public mutating func next() throws(HTTP1Error) -> Event? {
        if let failure { throw failure }
        guard !finished else { return nil }
        do throws(HTTP1Error) {
            switch try state.next(&input, limits: limits, allowsBareLineFeed: allowsBareLineFeed) {
            case .data(let bytes):
                return .data(bytes)
            case .end(let trailers):
                finished = true
                return .end(trailers: trailers)
            case .needMore:
                if input.receivedEOF {
                    throw HTTP1Error(.truncatedBody, offset: input.consumed &+ input.readable,
                                     detail: "input ended inside a chunked body")
                }
                return nil
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Takes the bytes buffered after the end of the body (or everything, if it has not ended).
    public mutating func takeBufferedBytes() -> ByteBuffer { input.take(input.readable) }
}
