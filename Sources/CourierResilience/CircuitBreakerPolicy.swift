/// When a circuit breaker opens, how long it stays open, and how it tests the way back.
///
/// The breaker trips (opens) on any enabled rule: `consecutiveFailures` in a row, or — once at least
/// `minimumThroughput` calls were seen in the last `samplingWindow` — a failure rate or a slow-call rate at
/// or above its threshold. It then fails calls fast for `openDuration`, growing by `openDurationMultiplier`
/// each time a probe fails, up to `maximumOpenDuration`. Half-open, it lets `halfOpenProbes` calls through
/// at once; all of them succeeding closes it, any failing opens it again.
public struct CircuitBreakerPolicy: Sendable, Hashable {
    /// Trip when at least this fraction of the window's calls failed (nil: no rate rule). Default 0.5.
    public var failureRateThreshold: Double?
    /// Trip when at least this fraction of the window's calls were slow (nil: no slow-call rule).
    public var slowCallRateThreshold: Double?
    /// A call taking at least this long (to its response head) is slow.
    public var slowCallDuration: Duration
    /// Trip after this many failures in a row, whatever the volume (nil: no such rule).
    public var consecutiveFailures: Int?
    /// The rate rules apply only once the window holds at least this many calls. Default 20.
    public var minimumThroughput: Int
    /// How far back the rate rules look. Default 30 s.
    public var samplingWindow: Duration
    /// How long the breaker stays open after tripping. Default 5 s.
    public var openDuration: Duration
    /// Each failed probe multiplies the next open duration by this. Default 2.
    public var openDurationMultiplier: Double
    /// The open duration never exceeds this. Default 60 s.
    public var maximumOpenDuration: Duration
    /// Probe calls let through at once when half-open; this many successes close the breaker. Default 3.
    public var halfOpenProbes: Int

    /// A policy; the defaults trip at a 50% failure rate over 30 s with at least 20 calls.
    public init(failureRateThreshold: Double? = 0.5, slowCallRateThreshold: Double? = nil,
                slowCallDuration: Duration = .seconds(5), consecutiveFailures: Int? = nil,
                minimumThroughput: Int = 20, samplingWindow: Duration = .seconds(30),
                openDuration: Duration = .seconds(5), openDurationMultiplier: Double = 2,
                maximumOpenDuration: Duration = .seconds(60), halfOpenProbes: Int = 3) {
        precondition(failureRateThreshold.map { $0 > 0 && $0 <= 1 } ?? true, "failure rate threshold must be in (0, 1]")
        precondition(slowCallRateThreshold.map { $0 > 0 && $0 <= 1 } ?? true, "slow-call rate threshold must be in (0, 1]")
        precondition(consecutiveFailures.map { $0 > 0 } ?? true, "consecutive failures must be positive")
        precondition(minimumThroughput > 0 && halfOpenProbes > 0, "throughput and probes must be positive")
        precondition(samplingWindow > .zero && openDuration > .zero, "durations must be positive")
        precondition(openDurationMultiplier >= 1 && maximumOpenDuration >= openDuration, "open duration must not shrink")
        self.failureRateThreshold = failureRateThreshold
        self.slowCallRateThreshold = slowCallRateThreshold
        self.slowCallDuration = slowCallDuration
        self.consecutiveFailures = consecutiveFailures
        self.minimumThroughput = minimumThroughput
        self.samplingWindow = samplingWindow
        self.openDuration = openDuration
        self.openDurationMultiplier = openDurationMultiplier
        self.maximumOpenDuration = maximumOpenDuration
        self.halfOpenProbes = halfOpenProbes
    }

    /// The open duration after `trips` consecutive trips without closing (0 for the first).
    func openDuration(afterTrips trips: Int) -> Duration {
        let nanos = Double(openDuration.nanosecondsClamped) * integerPower(openDurationMultiplier, Double(trips))
        return min(maximumOpenDuration, .clampedNanoseconds(nanos))
    }
}
