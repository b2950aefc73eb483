import CourierCore

/// How an adaptive concurrency limit moves (Netflix concurrency-limits' `AIMDLimit`).
public struct AIMDLimitPolicy: Sendable, Hashable {
    /// The limit to start from. Default 20.
    public var initialLimit: Int
    /// The limit never goes below this. Default 1.
    public var minimumLimit: Int
    /// The limit never goes above this. Default 1000.
    public var maximumLimit: Int
    /// A drop multiplies the limit by this (rounded down). Default 0.9.
    public var backoffRatio: Double
    /// A response slower than this counts as a drop (nil: latency is not judged). Default nil.
    public var latencyThreshold: Duration?

    /// A policy with the defaults.
    public init(initialLimit: Int = 20, minimumLimit: Int = 1, maximumLimit: Int = 1000,
                backoffRatio: Double = 0.9, latencyThreshold: Duration? = nil) {
        precondition(minimumLimit > 0 && minimumLimit <= initialLimit && initialLimit <= maximumLimit,
                     "limits must satisfy 0 < minimum ≤ initial ≤ maximum")
        precondition(backoffRatio > 0 && backoffRatio < 1, "the backoff ratio must be in (0, 1)")
        self.initialLimit = initialLimit
        self.minimumLimit = minimumLimit
        self.maximumLimit = maximumLimit
        self.backoffRatio = backoffRatio
        self.latencyThreshold = latencyThreshold
    }
}

/// An additive-increase, multiplicative-decrease concurrency limit: each drop (overload: a 503, a 429, a
/// timeout, a response slower than the threshold) multiplies the limit by the backoff ratio; each success
/// while the limit is actually used (at least half of it in flight) adds one. It finds the concurrency a
/// server sustains the way TCP finds a path's capacity. Pure value.
public struct AIMDLimit: Sendable {
    /// The rules.
    public let policy: AIMDLimitPolicy
    /// The current limit.
    public private(set) var limit: Int

    /// A limit at the policy's initial value.
    public init(policy: AIMDLimitPolicy) {
        self.policy = policy
        limit = policy.initialLimit
    }

    /// Digests one response: `latency` to its head, `inFlight` requests when it was sent, `dropped` when the
    /// server signalled overload. Returns the new limit.
    public mutating func record(latency: Duration, inFlight: Int, dropped: Bool) -> Int {
        let slow = policy.latencyThreshold.map { latency > $0 } ?? false
        if dropped || slow {
            limit = max(policy.minimumLimit, min(limit - 1, Int(Double(limit) * policy.backoffRatio)))
        } else if inFlight * 2 >= limit {
            limit = min(policy.maximumLimit, limit + 1)
        }
        return limit
    }
}
