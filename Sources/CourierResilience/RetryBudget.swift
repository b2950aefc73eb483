import Courier
import CourierCore

/// A retry budget shared by the requests of a client (per origin by default): retries may add at most a
/// fraction of the recent traffic plus a small floor, so that when a dependency fails, retries cannot
/// multiply the load on it. Share one budget between the retry and hedging middleware of a client.
public final class RetryBudget: Sendable {
    /// The limits.
    public let policy: RetryBudgetPolicy
    /// How requests share ledgers.
    public let partition: PartitionKey
    private let store: KeyedStore<RetryBudgetLedger>

    /// A budget with `policy` per `partition` key (default: per origin).
    public init(policy: RetryBudgetPolicy = RetryBudgetPolicy(), partition: PartitionKey = .origin) {
        self.policy = policy
        self.partition = partition
        store = KeyedStore { now in RetryBudgetLedger(policy: policy, now: now) }
    }

    /// Counts a first attempt for `key`.
    public func recordRequest(_ key: ResilienceKey, at now: Timestamp) {
        store.cell(for: key, now: now).withLock { $0.recordRequest(at: now) }
    }

    /// Takes a retry from `key`'s budget; false when spent.
    public func withdraw(_ key: ResilienceKey, at now: Timestamp) -> Bool {
        store.cell(for: key, now: now).withLock { $0.withdraw(at: now) }
    }

    /// Requests and retries in `key`'s current window.
    public func counts(for key: ResilienceKey, at now: Timestamp) -> RetryBudgetLedger.Counts {
        guard let cell = store.existingCell(for: key) else { return .zero }
        return cell.withLock { ledger in
            ledger.advance(to: now)
            return ledger.counts
        }
    }
}
