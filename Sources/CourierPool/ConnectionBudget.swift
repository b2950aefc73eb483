import CourierCore
import Synchronization

/// The client-wide limit on open connections, shared by every origin's pool.
///
/// A pool takes a slot before it opens a connection and gives it back when the connection closes or fails
/// to open. When no slot is free the pool waits in line, and an idle connection somewhere is closed to
/// make room (and while anyone waits, connections that turn idle are closed rather than kept), so a busy
/// origin cannot starve a new one by holding idle connections.
public final class ConnectionBudget: Sendable {
    private struct State {
        var open = 0
        var waiting: [(owner: UInt64, granted: @Sendable () -> Void)] = []
        var evictors: [UInt64: @Sendable () -> Bool] = [:]
        var needs: [UInt64: @Sendable () -> Bool] = [:]
        var nextEvictor: UInt64 = 0
    }

    /// The most connections open at once (nil: no limit).
    public let limit: Int?
    private let state = Locked(State())
    /// Attempts waiting for a slot, readable without the lock: the common case (nobody waits) costs a load.
    private let waiters = Atomic<Int>(0)

    /// A budget of `limit` connections (nil: unlimited, nothing is counted).
    public init(limit: Int?) {
        self.limit = limit.map { max(1, $0) }
    }

    /// Takes a slot for the pool registered as `owner` now (true), or queues `granted` to run when one frees
    /// up (false) and asks the other pools to close an idle connection.
    func take(for owner: UInt64, whenFree granted: @escaping @Sendable () -> Void) -> Bool {
        guard let limit else { return true }
        let evictors: [@Sendable () -> Bool]? = state.withLock { state in
            if state.open < limit {
                state.open += 1
                return nil
            }
            state.waiting.append((owner, granted))
            waiters.add(1, ordering: .relaxed)
            return state.evictors.filter { $0.key != owner }.map(\.value)
        }
        guard let evictors else { return true }
        for evict in evictors where evict() { break }
        return false
    }

    /// Gives back a slot held by `owner`'s pool: the first waiting attempt of another pool gets it (the
    /// giver closed an idle connection for it), else the first waiting attempt, else it becomes free.
    func give(from owner: UInt64) {
        guard limit != nil else { return }
        let next: (@Sendable () -> Void)? = state.withLock { state in
            guard !state.waiting.isEmpty else {
                state.open -= 1
                return nil
            }
            let index = state.waiting.firstIndex { $0.owner != owner } ?? state.waiting.startIndex
            waiters.subtract(1, ordering: .relaxed)
            return state.waiting.remove(at: index).granted
        }
        next?()
    }

    /// Whether a pool other than `owner` waits for a slot and still has requests for it (`owner`'s
    /// connections turning idle should then close; attempts whose requests were served elsewhere do not
    /// count). Call without holding a pool's lock: it asks the waiting pools.
    func othersNeed(besides owner: UInt64) -> Bool {
        guard anyoneWaits else { return false }
        let asks = state.withLock { state -> [@Sendable () -> Bool] in
            var owners: [UInt64] = []
            for entry in state.waiting where entry.owner != owner && !owners.contains(entry.owner) {
                owners.append(entry.owner)
            }
            return owners.compactMap { state.needs[$0] }
        }
        return asks.contains { $0() }
    }

    /// Whether any attempt waits for a slot (a lock-free check for the hot path of a connection turning idle).
    var anyoneWaits: Bool { limit != nil && waiters.load(ordering: .relaxed) > 0 }

    /// Connections open or opening, counted against the limit.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Registers a pool: its way to close one idle connection (returning whether it had one) and to tell
    /// whether requests wait in it. Returns the pool's token.
    func register(evict: @escaping @Sendable () -> Bool, needs: @escaping @Sendable () -> Bool) -> UInt64 {
        state.withLock { state in
            state.nextEvictor += 1
            state.evictors[state.nextEvictor] = evict
            state.needs[state.nextEvictor] = needs
            return state.nextEvictor
        }
    }

    func unregister(_ token: UInt64) {
        state.withLock { state in
            state.evictors[token] = nil
            state.needs[token] = nil
        }
    }
}
