/// The bookkeeping of a concurrency limiter (bulkhead): how many requests are in flight, the limit, and a
/// bounded first-in-first-out queue of waiters identified by number. Pure: `ConcurrencyLimiter` keeps the
/// continuations that go with the numbers and resumes the ones this value names.
///
/// The queue is bounded so that overload turns into fast `concurrencyLimited` failures (backpressure) rather
/// than an ever-growing backlog of requests that will time out anyway.
public struct ConcurrencyLimitQueue: Sendable {
    /// The answer to a request for a slot.
    public enum Admission: Sendable, Hashable {
        /// A slot is taken: go.
        case admitted
        /// Wait in the queue until `release()` or `setLimit(_:)` names this waiter.
        case queued
        /// The queue is full: fail fast.
        case rejected
    }

    /// Requests holding a slot.
    public private(set) var inFlight = 0
    /// Slots (at least 1).
    public private(set) var limit: Int
    /// The most waiters queued at once (0: never wait).
    public let maximumQueueLength: Int
    private var waiters: [UInt64] = []
    private var head = 0

    /// An empty limiter with `limit` slots and room for `maximumQueueLength` waiters.
    public init(limit: Int, maximumQueueLength: Int) {
        precondition(limit > 0 && maximumQueueLength >= 0, "a concurrency limit must be positive")
        self.limit = limit
        self.maximumQueueLength = maximumQueueLength
    }

    /// Waiters in the queue.
    public var queueLength: Int { waiters.count - head }

    /// Takes a slot if one is free and nobody waits; returns the requests in flight then, or nil.
    public mutating func tryAdmit() -> Int? {
        guard inFlight < limit && head == waiters.count else { return nil }
        inFlight += 1
        return inFlight
    }

    /// Asks for a slot for waiter `id`.
    public mutating func acquire(_ id: UInt64) -> Admission {
        if inFlight < limit && queueLength == 0 {
            inFlight += 1
            return .admitted
        }
        guard queueLength < maximumQueueLength else { return .rejected }
        waiters.append(id)
        return .queued
    }

    /// Gives a slot back; returns the waiter that takes it over (it is admitted), if any.
    public mutating func release() -> UInt64? {
        precondition(inFlight > 0, "a slot was released that was never taken")
        if inFlight <= limit, let next = dequeue() { return next }
        inFlight -= 1
        return nil
    }

    /// Removes a waiter that gave up (cancelled, timed out); false if it is no longer queued (it was admitted
    /// in the meantime and now holds a slot it must release).
    public mutating func cancel(_ id: UInt64) -> Bool {
        guard let index = waiters[head...].firstIndex(of: id) else { return false }
        waiters.remove(at: index)
        compact()
        return true
    }

    /// Changes the limit; returns the waiters admitted because it grew. A smaller limit takes effect as
    /// requests finish (nobody in flight is interrupted).
    public mutating func setLimit(_ newLimit: Int) -> [UInt64] {
        precondition(newLimit > 0, "a concurrency limit must be positive")
        limit = newLimit
        var admitted: [UInt64] = []
        while inFlight < limit, let next = dequeue() {
            inFlight += 1
            admitted.append(next)
        }
        return admitted
    }

    private mutating func dequeue() -> UInt64? {
        guard head < waiters.count else { return nil }
        let id = waiters[head]
        head += 1
        compact()
        return id
    }

    private mutating func compact() {
        if head == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > waiters.count {
            waiters.removeFirst(head)
            head = 0
        }
    }
}
