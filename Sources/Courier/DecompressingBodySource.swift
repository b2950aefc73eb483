import CourierCore

/// A response body decoded on the fly: pulls compressed chunks from the body beneath, inflates them, and
/// hands out decoded chunks of at most `outputChunkSize` bytes, so memory stays bounded whatever the
/// expansion. Stacked codings (`Content-Encoding: gzip, deflate`) are sources stacked on each other sharing
/// one `DecompressionBudget`, so the limits apply to the whole: decoded bytes out of the top against
/// received bytes into the bottom.
final class DecompressingBodySource: ResponseBodySource {
    /// Sendable proof: the inflater (a zlib stream, not Sendable) is created in the initializer and from then
    /// on touched only inside `state.withLock`, one thread at a time.
    private struct State: @unchecked Sendable {
        var inflater: StreamingInflater
        var pending = ByteBuffer(capacity: 0)
        var inputEnded = false
        var failure: HTTPClientError?
    }

    private let inner: any ResponseBodySource
    private let state: Locked<State>
    private let budget: DecompressionBudget
    private let isBottom: Bool
    private let isTop: Bool
    private let outputChunkSize: Int

    init(inner: any ResponseBodySource, format: StreamingInflater.Format, budget: DecompressionBudget,
         isBottom: Bool, isTop: Bool, outputChunkSize: Int = 64 * 1024) {
        self.inner = inner
        state = Locked(State(inflater: StreamingInflater(format: format)))
        self.budget = budget
        self.isBottom = isBottom
        self.isTop = isTop
        self.outputChunkSize = outputChunkSize
    }

    nonisolated(nonsending) func next() async throws -> ByteBuffer? {
        while true {
            // Decode what is pending (no lock is held across the await below).
            let step = state.withLock { state -> Result<ByteBuffer?, HTTPClientError>? in
                if let failure = state.failure { return .failure(failure) }
                if state.pending.readableBytes > 0 || state.inflater.hasPendingOutput {
                    var output = ByteBuffer(capacity: 0)
                    do throws(DecompressionError) {
                        try state.inflater.inflate(&state.pending, into: &output, maximumOutput: outputChunkSize)
                        if isTop { try budget.produced(output.readableBytes) }
                    } catch {
                        state.failure = Self.clientError(error)
                        return .failure(state.failure!)
                    }
                    if state.pending.readableBytes == 0 { state.pending = ByteBuffer(capacity: 0) }
                    if output.readableBytes > 0 { return .success(output) }
                }
                if state.inputEnded {
                    do throws(DecompressionError) {
                        try state.inflater.finish()
                    } catch {
                        state.failure = Self.clientError(error)
                        return .failure(state.failure!)
                    }
                    return .success(nil)
                }
                return nil
            }
            switch step {
            case .success(let chunk)?:
                return chunk
            case .failure(let error)?:
                inner.cancel()
                throw error
            case nil:
                break
            }
            let chunk = try await inner.next()
            state.withLock { state in
                guard let chunk else {
                    state.inputEnded = true
                    return
                }
                if isBottom { budget.received(chunk.readableBytes) }
                if state.pending.readableBytes == 0 {
                    state.pending = chunk
                } else {
                    state.pending.discardReadBytes()
                    state.pending.writeBuffer(chunk)
                }
            }
        }
    }

    func cancel() { inner.cancel() }
    var trailers: HTTPFields? { inner.trailers }

    private static func clientError(_ error: DecompressionError) -> HTTPClientError {
        HTTPClientError(error.isLimit ? .limitExceeded : .decompressionFailed,
                        "the response body cannot be decompressed: \(error.detail)", underlying: error)
    }
}

/// The bomb limits of one decoded body: bytes received from the network against bytes decoded.
final class DecompressionBudget: Sendable {
    private let counts = Locked<(received: Int, produced: Int)>((0, 0))
    let maximumSize: Int?
    let maximumRatio: Int?
    let ratioThreshold: Int

    init(maximumSize: Int?, maximumRatio: Int?, ratioThreshold: Int) {
        self.maximumSize = maximumSize
        self.maximumRatio = maximumRatio
        self.ratioThreshold = ratioThreshold
    }

    func received(_ count: Int) {
        counts.withLock { $0.received += count }
    }

    func produced(_ count: Int) throws(DecompressionError) {
        let (received, produced) = counts.withLock { counts -> (Int, Int) in
            counts.produced += count
            return (counts.received, counts.produced)
        }
        if let maximumSize, produced > maximumSize {
            throw DecompressionError(.sizeLimitExceeded, "the decoded body is larger than \(maximumSize) bytes")
        }
        if let maximumRatio, produced > ratioThreshold, produced > maximumRatio.multipliedReportingOverflow(by: max(received, 1)).partialValue {
            throw DecompressionError(.ratioLimitExceeded,
                                     "\(received) received bytes decoded to more than \(produced) (ratio limit \(maximumRatio))")
        }
    }
}
