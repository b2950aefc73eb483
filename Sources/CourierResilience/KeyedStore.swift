import CourierCore
import Synchronization

/// Per-key state that can say when it holds nothing worth keeping, so idle keys can be dropped.
protocol IdleAware: Sendable {
    /// Whether the state is back to its initial condition at `now`.
    mutating func isIdle(at now: Timestamp) -> Bool
}

/// One key's state, with its own lock so that keys do not contend with each other.
final class KeyedCell<State: IdleAware>: Sendable {
    let state: Mutex<State>
    init(_ state: State) { self.state = Mutex(state) }

    @inline(__always)
    func withLock<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}

/// Per-key state (breakers, buckets, budgets) found by `ResilienceKey`. Bounded: when more than `capacity`
/// keys are held (a scraper visiting a million hosts), idle ones are dropped, then the least recently used.
final class KeyedStore<State: IdleAware>: Sendable {
    private struct Entry {
        let cell: KeyedCell<State>
        var lastUsed: Timestamp
    }

    private let entries: Mutex<[ResilienceKey: Entry]>
    private let make: @Sendable (Timestamp) -> State
    let capacity: Int

    /// A store creating each key's state with `make(now)` on first use.
    init(capacity: Int = 4096, make: @escaping @Sendable (Timestamp) -> State) {
        precondition(capacity > 0, "a store needs room for at least one key")
        entries = Mutex([:])
        self.make = make
        self.capacity = capacity
    }

    /// The state of `key`, created if needed.
    func cell(for key: ResilienceKey, now: Timestamp) -> KeyedCell<State> {
        entries.withLock { entries in
            if let index = entries.index(forKey: key) {
                entries.values[index].lastUsed = now
                return entries.values[index].cell
            }
            if entries.count >= capacity { Self.evict(&entries, capacity: capacity, now: now) }
            let cell = KeyedCell(make(now))
            entries[key] = Entry(cell: cell, lastUsed: now)
            return cell
        }
    }

    /// The state of `key` if it exists.
    func existingCell(for key: ResilienceKey) -> KeyedCell<State>? {
        entries.withLock { $0[key]?.cell }
    }

    /// The keys held.
    var keys: [ResilienceKey] { entries.withLock { Array($0.keys) } }

    private static func evict(_ entries: inout [ResilienceKey: Entry], capacity: Int, now: Timestamp) {
        let idle = entries.filter { _, entry in entry.cell.withLock { $0.isIdle(at: now) } }.map(\.key)
        for key in idle { entries[key] = nil }
        guard entries.count >= capacity * 3 / 4 else { return }
        let oldest = entries.sorted { $0.value.lastUsed < $1.value.lastUsed }
        for (key, _) in oldest.prefix(entries.count - capacity / 2) { entries[key] = nil }
    }
}

extension RetryBudgetLedger: IdleAware {}
extension CircuitBreakerMachine: IdleAware {}
