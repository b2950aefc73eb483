import CourierCore
import HTTPTypes

/// The bytes of one message body flowing from a connection driver (the producer, on its event loop) to the
/// application (the consumer, any task), with backpressure both ways.
///
/// Theory of operation. The producer `yield`s chunks; they queue here until the consumer takes them with
/// `next()`. When more than `highWatermark` bytes are queued, `yield` answers `.pause` and the driver stops
/// reading (HTTP/1.1) or stops opening the flow-control window (HTTP/2). As the consumer takes chunks, the stream
/// reports consumed bytes to the driver through `onConsumed` — batched: once `consumedReportThreshold` bytes have
/// been taken, or as soon as the queue drains to `lowWatermark` while the producer is paused — so an HTTP/2 driver
/// can send WINDOW_UPDATE and an HTTP/1.1 driver can resume reading. A consumer that stops early calls
/// `cancel()`, which reaches the driver through `onCancel` (RST_STREAM on HTTP/2, close on HTTP/1.1).
/// Callbacks run with no lock held.
public final class BodyStream: Sendable {
    /// What the producer should do after yielding.
    public enum Demand: Sendable {
        /// Keep producing.
        case more
        /// Stop until `onConsumed` reports progress.
        case pause
    }

    /// How the body ended.
    public enum End: Sendable {
        /// Complete, with trailers when the peer sent any.
        case finished(trailers: HTTPFields?)
        /// Failed or was cancelled.
        case failed(any Error & Sendable)
    }

    private struct State {
        var chunks = ChunkQueue()
        var buffered = 0
        var end: End?
        var waiter: UnsafeContinuation<ByteBuffer?, any Error>?
        var producerPaused = false
        var consumedSinceReport = 0
        var cancelled = false
        var listener: Listener?
    }

    /// Who hears consumption and cancellation: two closures, or a driver object (no allocation per body).
    private enum Listener: Sendable {
        case closures(onConsumed: (@Sendable (Int) -> Void)?, onCancel: (@Sendable () -> Void)?)
        case driver(any BodyStreamDriver, token: UInt32)

        var hearsConsumption: Bool {
            switch self {
            case .closures(let onConsumed, _): onConsumed != nil
            case .driver: true
            }
        }

        func consumed(_ bytes: Int, of stream: BodyStream) {
            switch self {
            case .closures(let onConsumed, _): onConsumed?(bytes)
            case .driver(let driver, let token): driver.bodyStream(stream, token: token, consumed: bytes)
            }
        }

        func cancelled(_ stream: BodyStream) {
            switch self {
            case .closures(_, let onCancel): onCancel?()
            case .driver(let driver, let token): driver.bodyStreamCancelled(stream, token: token)
            }
        }
    }

    private let state = Locked(State())
    /// Above this many queued bytes the producer is asked to pause.
    public let highWatermark: Int
    /// A paused producer is resumed once the queue drains to this many bytes.
    public let lowWatermark: Int
    /// Consumed bytes are reported in batches of at least this many (or when a paused producer may resume).
    public let consumedReportThreshold: Int
    /// Whether a consumer that has to wait reports what it took first, below the threshold too: for producers
    /// that share credit between streams (HTTP/2's connection window), where unreported bytes on many streams
    /// could otherwise hold all of it while every consumer waits.
    public let reportsWhenConsumerWaits: Bool

    /// Creates an empty stream.
    public init(highWatermark: Int = 1 << 20, lowWatermark: Int = 256 << 10, consumedReportThreshold: Int = 32 << 10,
                reportsWhenConsumerWaits: Bool = false) {
        self.highWatermark = highWatermark
        self.lowWatermark = min(lowWatermark, highWatermark)
        self.consumedReportThreshold = consumedReportThreshold
        self.reportsWhenConsumerWaits = reportsWhenConsumerWaits
    }

    /// Installs the driver's callbacks: `onConsumed(bytes)` after the consumer took bytes, `onCancel` when the
    /// consumer gave up. Set them before yielding. They may run on any thread.
    public func setCallbacks(onConsumed: (@Sendable (Int) -> Void)?, onCancel: (@Sendable () -> Void)?) {
        state.withLock { $0.listener = .closures(onConsumed: onConsumed, onCancel: onCancel) }
    }

    /// Installs the driver that hears consumption and cancellation (as `setCallbacks`, without closures);
    /// `token` comes back with each call (an HTTP/2 stream id, say). The stream holds the driver until the
    /// body ends or is cancelled.
    public func setDriver(_ driver: any BodyStreamDriver, token: UInt32) {
        state.withLock { $0.listener = .driver(driver, token: token) }
    }

    // MARK: - Producer

    /// Adds a chunk for the consumer. Ignored once the stream ended or was cancelled.
    @discardableResult
    public func yield(_ chunk: ByteBuffer) -> Demand {
        guard chunk.readableBytes > 0 else { return .more }
        typealias Handover = (waiter: UnsafeContinuation<ByteBuffer?, any Error>?, demand: Demand, report: Report?)
        let handover = state.withLock { state -> Handover in
            guard state.end == nil, !state.cancelled else { return (nil, .more, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                state.consumedSinceReport += chunk.readableBytes
                return (waiter, .more, dueReport(&state))
            }
            state.chunks.append(chunk)
            state.buffered += chunk.readableBytes
            if state.buffered > highWatermark {
                state.producerPaused = true
                return (nil, .pause, nil)
            }
            return (nil, .more, nil)
        }
        if let waiter = handover.waiter {
            waiter.resume(returning: chunk)
            if let report = handover.report { report.listener.consumed(report.bytes, of: self) }
        }
        return handover.demand
    }

    /// Ends the body successfully; the consumer sees the remaining chunks, then the end.
    public func finish(trailers: HTTPFields? = nil) {
        end(.finished(trailers: trailers))
    }

    /// Ends the body with an error; the consumer sees the remaining chunks, then the error.
    public func fail(_ error: any Error & Sendable) {
        end(.failed(error))
    }

    private func end(_ end: End) {
        let waiter = state.withLock { state -> UnsafeContinuation<ByteBuffer?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = end
            state.listener = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        switch end {
        case .finished: waiter.resume(returning: nil)
        case .failed(let error): waiter.resume(throwing: error)
        }
    }

    /// Whether the consumer cancelled (the producer can stop).
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Queued bytes not yet taken by the consumer.
    public var bufferedBytes: Int { state.withLock { $0.buffered } }

    // MARK: - Consumer

    /// The next chunk, or nil at the end of the body; throws the body's error, or `CancellationError` when the
    /// awaiting task is cancelled (which also cancels the stream).
    public nonisolated(nonsending) func next() async throws -> ByteBuffer? {
        if let ready = nextIfReady() { return try ready.get() }
        let chunk = try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<ByteBuffer?, any Error>) in
                let (immediate, report) = state.withLock { state -> (Result<ByteBuffer?, any Error>?, Report?) in
                    if !state.chunks.isEmpty { return (.success(Self.pop(&state)), nil) }
                    switch state.end {
                    case .finished?: return (.success(nil), nil)
                    case .failed(let error)?: return (.failure(error), nil)
                    case nil: break
                    }
                    if state.cancelled { return (.failure(CancellationError()), nil) }
                    state.waiter = continuation
                    // A waiting consumer holds nothing back (see `reportsWhenConsumerWaits`).
                    guard reportsWhenConsumerWaits, let listener = state.listener, listener.hearsConsumption,
                          state.consumedSinceReport > 0 else {
                        return (nil, nil)
                    }
                    defer {
                        state.consumedSinceReport = 0
                        state.producerPaused = false
                    }
                    return (nil, (listener, state.consumedSinceReport))
                }
                if let immediate { continuation.resume(with: immediate) }
                if let report { report.listener.consumed(report.bytes, of: self) }
            }
        } onCancel: {
            cancel()
        }
        // A pattern, not `!= nil`: in this async function that compiled to `ByteBuffer?`'s `Equatable` `!=`,
        // a tuple of two optionals destroyed through its runtime type on every call.
        if case .some = chunk { reportConsumptionIfDue() }
        return chunk
    }

    /// The next chunk or the end when one is ready, without suspending (nil: `next()` would wait). For
    /// consumers that can skip the async call when bytes are already there.
    public func nextIfReady() -> Result<ByteBuffer?, any Error>? {
        let (ready, report) = state.withLock { state -> (Result<ByteBuffer?, any Error>?, Report?) in
            guard let ready = Self.takeReady(&state) else { return (nil, nil) }
            guard case .success(.some) = ready else { return (ready, nil) }
            return (ready, dueReport(&state))
        }
        if let report { report.listener.consumed(report.bytes, of: self) }
        return ready
    }

    /// A queued chunk or the end, without suspending; nil when the consumer has to wait.
    private static func takeReady(_ state: inout State) -> Result<ByteBuffer?, any Error>? {
        if !state.chunks.isEmpty { return .success(pop(&state)) }
        switch state.end {
        case .finished?: return .success(nil)
        case .failed(let error)?: return .failure(error)
        case nil: return state.cancelled ? .failure(CancellationError()) : nil
        }
    }

    private static func pop(_ state: inout State) -> ByteBuffer {
        let chunk = state.chunks.removeFirst()
        state.buffered -= chunk.readableBytes
        state.consumedSinceReport += chunk.readableBytes
        return chunk
    }

    /// Consumed bytes to report to the listener.
    private typealias Report = (listener: Listener, bytes: Int)

    /// The report due now, if any (taken out of `state`): a batch reached the threshold, or a paused
    /// producer may resume.
    private func dueReport(_ state: inout State) -> Report? {
        guard let listener = state.listener, listener.hearsConsumption, state.consumedSinceReport > 0 else { return nil }
        let resume = state.producerPaused && state.buffered <= lowWatermark
        guard resume || state.consumedSinceReport >= consumedReportThreshold else { return nil }
        if resume { state.producerPaused = false }
        let bytes = state.consumedSinceReport
        state.consumedSinceReport = 0
        return (listener, bytes)
    }

    private func reportConsumptionIfDue() {
        let report = state.withLock { dueReport(&$0) }
        if let report { report.listener.consumed(report.bytes, of: self) }
    }

    /// The consumer stops: queued chunks are dropped and the driver is told once through `onCancel`.
    public func cancel() {
        let (waiter, listener) = state.withLock { state -> (UnsafeContinuation<ByteBuffer?, any Error>?, Listener?) in
            guard !state.cancelled else { return (nil, nil) }
            state.cancelled = true
            state.chunks.removeAll()
            state.buffered = 0
            let waiter = state.waiter
            state.waiter = nil
            let listener = state.end == nil ? state.listener : nil
            state.listener = nil
            return (waiter, listener)
        }
        waiter?.resume(throwing: CancellationError())
        listener?.cancelled(self)
    }

    /// How the body ended, once it has (trailers are read from here after the last chunk).
    public var endState: End? { state.withLock { $0.end } }
}

/// A FIFO of chunks that holds the first one inline: most bodies queue one chunk at a time (a small body is
/// often a single chunk), and those then allocate no array.
private struct ChunkQueue {
    private var first: ByteBuffer?
    /// The chunks after `first`, from `head` on.
    private var rest: [ByteBuffer] = []
    private var head = 0

    var isEmpty: Bool { first == nil }

    mutating func append(_ chunk: ByteBuffer) {
        if first == nil { first = chunk } else { rest.append(chunk) }
    }

    /// The oldest chunk; the queue must not be empty.
    mutating func removeFirst() -> ByteBuffer {
        let chunk = first!
        if head < rest.count {
            first = rest[head]
            rest[head] = ByteBuffer(capacity: 0)
            head += 1
            if head == rest.count {
                rest.removeAll(keepingCapacity: true)
                head = 0
            }
        } else {
            first = nil
        }
        return chunk
    }

    mutating func removeAll() {
        first = nil
        rest.removeAll()
        head = 0
    }
}

/// The driver side of a `BodyStream` (a connection): hears what the consumer took and whether it gave up.
/// Called on any thread, with no lock of the stream held.
public protocol BodyStreamDriver: AnyObject, Sendable {
    /// The consumer took `bytes` more of the body installed with `token`.
    func bodyStream(_ stream: BodyStream, token: UInt32, consumed bytes: Int)
    /// The consumer of the body installed with `token` gave up before its end.
    func bodyStreamCancelled(_ stream: BodyStream, token: UInt32)
}
