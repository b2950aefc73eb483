import CourierCore
import Synchronization

/// Per-key state that can say when it holds nothing worth keeping, so idle keys can be dropped.
protocol IdleAware: Sendable {
    /// Whether the state is back to its initial condition at `now`.
    mutating func isIdle(at now: Timestamp) -> Bool
}

/// One key's state, with its own lock so that keys do not contend with each other.
final class KeyedCell<State: IdleAware>: Sendable {
    let state: Locked<State>
    /// When the key was last used (nanoseconds on the store's clock), for eviction.
    let lastUsed: Atomic<UInt64>

    init(_ state: State, now: Timestamp) {
        self.state = Locked(state)
        lastUsed = Atomic(now.nanoseconds)
    }

    @inline(__always)
    func withLock<Result>(_ body: (inout State) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}

/// Per-key state (breakers, buckets, budgets) found by `ResilienceKey`. Bounded: when more than `capacity`
/// keys are held (a scraper visiting a million hosts), idle ones are dropped, then the least recently used.
/// The key used last is checked first, which spares most lookups of a client talking to one origin.
final class KeyedStore<State: IdleAware>: Sendable {
    private struct Table {
        var cells: [ResilienceKey: KeyedCell<State>] = [:]
        var recentKey: ResilienceKey?
        var recentCell: KeyedCell<State>?
    }

    private let table: Locked<Table>
    private let make: @Sendable (Timestamp) -> State
    let capacity: Int

    /// A store creating each key's state with `make(now)` on first use.
    init(capacity: Int = 4096, make: @escaping @Sendable (Timestamp) -> State) {
        precondition(capacity > 0, "a store needs room for at least one key")
        table = Locked(Table())
        self.make = make
        self.capacity = capacity
    }

    /// The state of `key`, created if needed.
    func cell(for key: ResilienceKey, now: Timestamp) -> KeyedCell<State> {
        let cell = table.withLock { table -> KeyedCell<State> in
            if let recent = table.recentCell, table.recentKey == key { return recent }
            let cell: KeyedCell<State>
            if let existing = table.cells[key] {
                cell = existing
            } else {
                if table.cells.count >= capacity { Self.evict(&table, capacity: capacity, now: now) }
                cell = KeyedCell(make(now), now: now)
                table.cells[key] = cell
            }
            table.recentKey = key
            table.recentCell = cell
            return cell
        }
        cell.lastUsed.store(now.nanoseconds, ordering: .relaxed)
        return cell
    }

    /// The state of `key` if it exists.
    func existingCell(for key: ResilienceKey) -> KeyedCell<State>? {
        table.withLock { $0.cells[key] }
    }

    /// The keys held.
    var keys: [ResilienceKey] { table.withLock { Array($0.cells.keys) } }

    private static func evict(_ table: inout Table, capacity: Int, now: Timestamp) {
        table.recentKey = nil
        table.recentCell = nil
        let idle = table.cells.filter { _, cell in cell.withLock { $0.isIdle(at: now) } }.map(\.key)
        for key in idle { table.cells[key] = nil }
        guard table.cells.count >= capacity * 3 / 4 else { return }
        let oldest = table.cells.sorted { $0.value.lastUsed.load(ordering: .relaxed) < $1.value.lastUsed.load(ordering: .relaxed) }
        for (key, _) in oldest.prefix(table.cells.count - capacity / 2) { table.cells[key] = nil }
    }
}

extension RetryBudgetLedger: IdleAware {}
extension CircuitBreakerMachine: IdleAware {}
