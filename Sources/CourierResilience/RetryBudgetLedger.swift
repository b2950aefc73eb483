import CourierCore

/// How many retries a retry budget allows (Finagle's `RetryBudget`, Envoy's retry budgets): retries may
/// add at most `ratio` to the traffic of the last `window`, plus a floor of `minimumRetriesPerSecond` so
/// that a client sending few requests can still retry now and then.
public struct RetryBudgetPolicy: Sendable, Hashable {
    /// Retries allowed per request sent (0.2: retries add at most 20% to the traffic).
    public var ratio: Double
    /// Retries always allowed per second, whatever the traffic.
    public var minimumRetriesPerSecond: Double
    /// How far back requests and retries are remembered.
    public var window: Duration

    /// A policy; the defaults are Finagle's (20%, 10 per second, 10 s).
    public init(ratio: Double = 0.2, minimumRetriesPerSecond: Double = 10, window: Duration = .seconds(10)) {
        precondition(ratio >= 0 && minimumRetriesPerSecond >= 0, "a retry budget cannot be negative")
        precondition(window > .zero, "a retry budget's window must be positive")
        self.ratio = ratio
        self.minimumRetriesPerSecond = minimumRetriesPerSecond
        self.window = window
    }

    /// Retries allowed in any window with no requests at all.
    public var floor: Double { minimumRetriesPerSecond * window.secondsDouble }
}

/// The arithmetic of a retry budget: first attempts deposit, retries withdraw, both expire after the
/// policy's window. A retry is allowed while `retries + 1 ≤ floor + ratio × requests` over the window.
/// Pure: the caller passes the time and keeps the value behind its own lock.
public struct RetryBudgetLedger: Sendable {
    /// Requests and retries in one slot of the window.
    public struct Counts: SlidingWindowCounts {
        /// First attempts.
        public var requests = 0
        /// Retries.
        public var retries = 0

        /// Counts of requests and retries.
        public init(requests: Int = 0, retries: Int = 0) {
            self.requests = requests
            self.retries = retries
        }

        public static var zero: Counts { Counts() }
        public mutating func add(_ other: Counts) { requests += other.requests; retries += other.retries }
        public mutating func subtract(_ other: Counts) { requests -= other.requests; retries -= other.retries }
    }

    /// The limits.
    public let policy: RetryBudgetPolicy
    private var window: SlidingWindow<Counts>

    /// An empty ledger at `now`.
    public init(policy: RetryBudgetPolicy, now: Timestamp) {
        self.policy = policy
        window = SlidingWindow(length: policy.window, slotCount: 10, now: now)
    }

    /// Counts a first attempt.
    public mutating func recordRequest(at now: Timestamp) {
        window.record(Counts(requests: 1, retries: 0), at: now)
    }

    /// Takes one retry from the budget if it has one; false means the retry must not be made.
    public mutating func withdraw(at now: Timestamp) -> Bool {
        window.advance(to: now)
        guard balance >= 1 else { return false }
        window.record(Counts(requests: 0, retries: 1), at: now)
        return true
    }

    /// Retries still allowed in the current window (fractional: deposits are fractions of a retry).
    public var balance: Double {
        policy.floor + policy.ratio * Double(window.total.requests) - Double(window.total.retries)
    }

    /// Requests and retries currently in the window.
    public var counts: Counts { window.total }

    /// Forgets what expired by `now` (so `balance` and `counts` are current).
    public mutating func advance(to now: Timestamp) { window.advance(to: now) }

    /// Whether the ledger is back to its initial state by `now` (nothing remembered), so it can be dropped.
    public mutating func isIdle(at now: Timestamp) -> Bool {
        window.advance(to: now)
        return window.total == .zero
    }
}
