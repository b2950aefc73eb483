import CourierCore
import Courier

/// How an adaptive rate limiter follows the server: how far it slows down on a 429, how fast it recovers,
/// how long a server may hold it.
public struct AdaptiveRatePolicy: Sendable, Hashable {
    /// On a 429 the rate becomes the rate actually sent (over the last two seconds) times this. Default 0.5.
    public var decreaseFactor: Double
    /// The rate never drops below this many requests per second. Default 1.
    public var minimumRate: Double
    /// After a decrease the rate grows back linearly, by the decreased rate every `recoveryInterval`, to the
    /// configured rate; an unlimited limiter becomes unlimited again at 16 times the decreased rate.
    /// Default 5 s.
    public var recoveryInterval: Duration
    /// Hold requests while `RateLimit-Remaining` (or `X-RateLimit-Remaining`) is 0, until the reset.
    /// Default true.
    public var followsRateLimitHeaders: Bool
    /// A server's `Retry-After` or reset longer than this holds requests only this long. Default 60 s.
    public var maximumHold: Duration

    /// A policy with the defaults.
    public init(decreaseFactor: Double = 0.5, minimumRate: Double = 1, recoveryInterval: Duration = .seconds(5),
                followsRateLimitHeaders: Bool = true, maximumHold: Duration = .seconds(60)) {
        precondition(decreaseFactor > 0 && decreaseFactor < 1, "the decrease factor must be in (0, 1)")
        precondition(minimumRate > 0 && minimumRate.isFinite, "the minimum rate must be positive")
        precondition(recoveryInterval > .zero && maximumHold >= .zero, "durations must be positive")
        self.decreaseFactor = decreaseFactor
        self.minimumRate = minimumRate
        self.recoveryInterval = recoveryInterval
        self.followsRateLimitHeaders = followsRateLimitHeaders
        self.maximumHold = maximumHold
    }
}

/// The adaptive part of a rate limiter: it measures the rate sent, lowers the allowed rate multiplicatively
/// when the server answers 429, recovers it linearly while the server stays quiet, and turns the server's
/// `Retry-After` and exhausted rate-limit windows into holds. Pure: time is an argument; the caller applies
/// the results to its `TokenBucket`.
public struct AdaptiveRateController: Sendable {
    /// What a response asks of the bucket.
    public struct Adjustment: Sendable, Hashable {
        /// Hold requests until then.
        public var holdUntil: Timestamp?
        /// Whether the rate changed (then `rate` is the new one).
        public var rateChanged: Bool
        /// The rate now allowed (nil: unlimited).
        public var rate: Double?
    }

    private struct Sends: SlidingWindowCounts {
        var count = 0
        static var zero: Sends { Sends() }
        mutating func add(_ other: Sends) { count += other.count }
        mutating func subtract(_ other: Sends) { count -= other.count }
    }

    /// The rules.
    public let policy: AdaptiveRatePolicy
    /// The rate configured by the user (nil: unlimited); the controller never exceeds it.
    public let ceiling: Double?
    private var sends: SlidingWindow<Sends>
    private var throttled: (rate: Double, at: Timestamp)?

    /// A controller at `now` for a limiter configured with `ceiling` requests per second (nil: unlimited).
    public init(policy: AdaptiveRatePolicy, ceiling: Double?, now: Timestamp) {
        self.policy = policy
        self.ceiling = ceiling
        sends = SlidingWindow(length: .seconds(2), slotCount: 8, now: now)
    }

    /// Counts a request sent at `now`.
    public mutating func recordSend(at now: Timestamp) {
        sends.record(Sends(count: 1), at: now)
    }

    /// The rate allowed at `now`: the ceiling, or a decreased rate on its way back up.
    public mutating func rate(at now: Timestamp) -> Double? {
        guard let (base, at) = throttled else { return ceiling }
        let grown = base * (1 + now.elapsed(since: at).secondsDouble / policy.recoveryInterval.secondsDouble)
        let top = ceiling ?? base * 16
        if grown >= top {
            throttled = nil
            return ceiling
        }
        return grown
    }

    /// Digests a response at `now`: a 429 lowers the rate; `Retry-After` on a 429 or 503, or an exhausted
    /// rate-limit window, holds requests. Returns what to apply to the bucket (nil: nothing).
    public mutating func observe(status: HTTPResponse.Status, hints: ServerBackoffHints, at now: Timestamp) -> Adjustment? {
        var adjustment = Adjustment(holdUntil: nil, rateChanged: false, rate: nil)
        var changed = false
        let isThrottle = status.code == 429 || status.code == 503
        if isThrottle, let delay = hints.requestedDelay(status: status) {
            adjustment.holdUntil = now + min(delay, policy.maximumHold)
            changed = true
        } else if policy.followsRateLimitHeaders, hints.remaining == 0, let reset = hints.reset {
            adjustment.holdUntil = now + min(reset, policy.maximumHold)
            changed = true
        }
        if status.code == 429 {
            sends.advance(to: now)
            let sent = max(policy.minimumRate, Double(sends.total.count) / 2)
            let current = rate(at: now) ?? .infinity
            let lowered = max(policy.minimumRate, min(current, sent) * policy.decreaseFactor)
            throttled = (lowered, now)
            adjustment.rateChanged = true
            adjustment.rate = lowered
            changed = true
        } else {
            adjustment.rate = rate(at: now)
        }
        return changed ? adjustment : nil
    }

    /// Whether nothing is remembered at `now` (the state can be dropped).
    public mutating func isIdle(at now: Timestamp) -> Bool {
        _ = rate(at: now)
        sends.advance(to: now)
        return throttled == nil && sends.total.count == 0
    }
}
