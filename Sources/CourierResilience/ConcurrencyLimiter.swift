import Courier
import CourierCore
import Synchronization

/// A bulkhead: at most `limit` requests in flight per key (all requests by default), with a bounded queue
/// for the ones beyond — full queue, or a wait past `maximumWait`, fails fast with `concurrencyLimited`, so
/// overload becomes backpressure instead of an unbounded backlog. With `adaptive` set, the limit follows the
/// server AIMD-style (Netflix concurrency-limits): 503s, 429s, timeouts and, optionally, slow responses
/// shrink it; successes at a well-used limit grow it.
///
/// A request holds its slot until its response head arrives (or it fails). Inside the retry middleware (as
/// the standard pipeline places it) each attempt takes a slot, so retries feel the same backpressure.
/// Uncontended, a request costs one lock to enter and one to leave; only a request that must wait
/// suspends.
public final class ConcurrencyLimiter: HTTPClientMiddleware, Sendable {
    /// The initial (and, without `adaptive`, fixed) limit per key.
    public let limit: Int
    /// Requests that may wait per key; beyond, they fail at once.
    public let maximumQueueLength: Int
    /// The longest a request waits in the queue (nil: until it gets a slot or is cancelled).
    public let maximumWait: Duration?
    /// How the limit adapts (nil: fixed).
    public let adaptive: AIMDLimitPolicy?
    /// How requests share limits.
    public let partition: PartitionKey
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let store: KeyedStore<LimiterState>
    private let nextWaiter = Atomic<UInt64>(1)

    /// A limiter of `limit` requests in flight with `maximumQueueLength` waiting, per `partition` key.
    public init(limit: Int, maximumQueueLength: Int = 0, maximumWait: Duration? = nil, adaptive: AIMDLimitPolicy? = nil,
                partition: PartitionKey = .global, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        let initial = adaptive?.initialLimit ?? limit
        precondition(initial > 0 && maximumQueueLength >= 0, "a concurrency limit must be positive")
        self.limit = initial
        self.maximumQueueLength = maximumQueueLength
        self.maximumWait = maximumWait
        self.adaptive = adaptive
        self.partition = partition
        self.clock = clock
        self.telemetry = telemetry
        store = KeyedStore { _ in
            LimiterState(queue: ConcurrencyLimitQueue(limit: initial, maximumQueueLength: maximumQueueLength),
                         aimd: adaptive.map(AIMDLimit.init(policy:)))
        }
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let key = partition.key(for: request)
        let ticket = try await acquire(request, key: key, at: clock.now())
        let outcome: Result<HTTPClientResponse, HTTPClientError>
        do {
            outcome = .success(try await next(request))
        } catch {
            outcome = .failure(error)
        }
        release(ticket, outcome: outcome, key: key, request: request)
        return try outcome.get()
    }

    // MARK: - Steps (shared with `ResiliencePipeline`)

    /// A slot held by a request.
    struct Ticket {
        let cell: KeyedCell<LimiterState>
        /// When the request got its slot.
        let start: Timestamp
        /// Requests in flight when it did (for the adaptive limit).
        let inFlight: Int
    }

    /// Takes a slot without waiting, if one is free and nobody waits.
    func tryAcquire(key: ResilienceKey, at now: Timestamp) -> Ticket? {
        let cell = store.cell(for: key, now: now)
        guard let inFlight = cell.withLock({ $0.queue.tryAdmit() }) else { return nil }
        return Ticket(cell: cell, start: now, inFlight: inFlight)
    }

    /// Takes a slot, waiting in the queue if need be; throws `concurrencyLimited` (queue full, waited too
    /// long) or `cancelled`.
    func acquire(_ request: HTTPClientRequest, key: ResilienceKey, at now: Timestamp) async throws(HTTPClientError) -> Ticket {
        if let ticket = tryAcquire(key: key, at: now) { return ticket }
        let cell = store.cell(for: key, now: now)
        let inFlight = try await wait(in: cell, key: key, request: request, since: now)
        return Ticket(cell: cell, start: clock.now(), inFlight: inFlight)
    }

    /// The current limit of `key`.
    public func currentLimit(for key: ResilienceKey = .global) -> Int {
        store.existingCell(for: key)?.withLock { $0.queue.limit } ?? limit
    }

    /// Requests in flight and queued for `key`.
    public func load(for key: ResilienceKey = .global) -> (inFlight: Int, queued: Int) {
        store.existingCell(for: key)?.withLock { ($0.queue.inFlight, $0.queue.queueLength) } ?? (0, 0)
    }

    // MARK: - Waiting

    private func wait(in cell: KeyedCell<LimiterState>, key: ResilienceKey, request: HTTPClientRequest,
                      since start: Timestamp) async throws(HTTPClientError) -> Int {
        let id = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        let result: Result<Int, HTTPClientError> = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Int, HTTPClientError>, Never>) in
                let immediate: Result<Int, HTTPClientError>? = cell.withLock { state in
                    if Task.isCancelled { return .failure(Self.cancelled) }
                    switch state.queue.acquire(id) {
                    case .admitted: return .success(state.queue.inFlight)
                    case .rejected: return .failure(Self.rejected(key, queueLength: state.queue.queueLength))
                    case .queued:
                        state.waiters[id] = continuation
                        return nil
                    }
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                    return
                }
                telemetry.record(.concurrencyQueued(queueLength: cell.withLock { $0.queue.queueLength }), key: key,
                                 request: request.head, time: start)
                if let maximumWait { armTimeout(for: id, in: cell, key: key, at: start + maximumWait) }
            }
        } onCancel: {
            give(up: id, in: cell, with: Self.cancelled)
        }
        cell.withLock { $0.timeouts.removeValue(forKey: id) }?.cancel()
        switch result {
        case .success(let inFlight):
            telemetry.record(.concurrencyWaited(clock.now().elapsed(since: start)), key: key, request: request.head,
                             time: clock.now())
            return inFlight
        case .failure(let error):
            if error.code == .concurrencyLimited {
                telemetry.record(.concurrencyRejected, key: key, request: request.head, time: clock.now())
            }
            throw error
        }
    }

    private func armTimeout(for id: UInt64, in cell: KeyedCell<LimiterState>, key: ResilienceKey, at deadline: Timestamp) {
        let clock = self.clock
        let timer = Task {
            do throws(CancellationError) {
                try await clock.sleep(until: deadline)
            } catch {
                return
            }
            self.give(up: id, in: cell, with: HTTPClientError(
                .concurrencyLimited, "no slot of the concurrency limit for \(key) freed within the maximum wait",
                underlying: ConcurrencyLimitExceeded(key: key, queueLength: nil), isSafeToRetry: true))
        }
        let stillWaiting = cell.withLock { state -> Bool in
            guard state.waiters[id] != nil else { return false }
            state.timeouts[id] = timer
            return true
        }
        if !stillWaiting { timer.cancel() }
    }

    /// Takes a waiter out of the queue (cancelled, timed out) and resumes it with `error`, unless it was
    /// admitted meanwhile.
    private func give(up id: UInt64, in cell: KeyedCell<LimiterState>, with error: HTTPClientError) {
        let waiter = cell.withLock { state -> UnsafeContinuation<Result<Int, HTTPClientError>, Never>? in
            guard state.queue.cancel(id) else { return nil }
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.resume(returning: .failure(error))
    }

    // MARK: - Releasing

    /// Gives the slot of `ticket` back, moving an adaptive limit by how the request ended.
    func release(_ ticket: Ticket, outcome: Result<HTTPClientResponse, HTTPClientError>, key: ResilienceKey,
                 request: HTTPClientRequest) {
        let cell = ticket.cell, sent = ticket.start, inFlight = ticket.inFlight
        let dropped: Bool
        switch outcome {
        case .success(let response): dropped = response.status.code == 503 || response.status.code == 429
        case .failure(let error): dropped = error.isTimeout
        }
        let latency = adaptive == nil ? Duration.zero : clock.now().elapsed(since: sent)
        let (resumes, newLimit) = cell.withLock { state -> ([(UnsafeContinuation<Result<Int, HTTPClientError>, Never>, Int)], Int?) in
            var admitted: [UInt64] = []
            var newLimit: Int?
            if state.aimd != nil {
                let old = state.queue.limit
                let limit = state.aimd!.record(latency: latency, inFlight: inFlight, dropped: dropped)
                if limit != old {
                    newLimit = limit
                    admitted = state.queue.setLimit(limit)
                }
            }
            if let next = state.queue.release() { admitted.append(next) }
            let inFlightNow = state.queue.inFlight
            return (admitted.compactMap { id in state.waiters.removeValue(forKey: id).map { ($0, inFlightNow) } }, newLimit)
        }
        if let newLimit {
            telemetry.record(.concurrencyLimitChanged(limit: newLimit), key: key, request: request.head, time: clock.now())
        }
        for (waiter, inFlight) in resumes { waiter.resume(returning: .success(inFlight)) }
    }

    private static let cancelled = HTTPClientError(.cancelled, "the request was cancelled while waiting for a concurrency slot",
                                                   isSafeToRetry: true)

    private static func rejected(_ key: ResilienceKey, queueLength: Int) -> HTTPClientError {
        HTTPClientError(.concurrencyLimited, "the concurrency limit for \(key) is reached and \(queueLength) requests wait already",
                        underlying: ConcurrencyLimitExceeded(key: key, queueLength: queueLength), isSafeToRetry: true)
    }
}

/// The `underlying` of a `concurrencyLimited` error.
public struct ConcurrencyLimitExceeded: Error, Sendable, CustomStringConvertible {
    /// The limit's key.
    public let key: ResilienceKey
    /// The queue length that was full (nil: the request waited too long instead).
    public let queueLength: Int?

    public var description: String {
        "concurrency limit of \(key) reached" + (queueLength.map { " with \($0) waiting" } ?? "; waited too long")
    }
}

/// One key's slots, waiters and adaptive limit.
struct LimiterState: IdleAware {
    var queue: ConcurrencyLimitQueue
    var aimd: AIMDLimit?
    var waiters: [UInt64: UnsafeContinuation<Result<Int, HTTPClientError>, Never>] = [:]
    var timeouts: [UInt64: Task<Void, Never>] = [:]

    mutating func isIdle(at now: Timestamp) -> Bool {
        queue.inFlight == 0 && queue.queueLength == 0 && (aimd.map { $0.limit == $0.policy.initialLimit } ?? true)
    }
}
