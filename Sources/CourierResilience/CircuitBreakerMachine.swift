import CourierCore

/// The state machine of one circuit breaker, as a value: time is an argument, decisions and transitions are
/// results. `CircuitBreaker` keeps one per key behind a lock and applies them to requests.
///
/// Theory of operation (Nygard, "Release It!"; the rules of Resilience4j and Polly):
///
///         trip rule met                 open duration over
///     closed ─────────────▶ open ───────────────────────────▶ half-open
///       ▲                    ▲                                   │
///       │                    └──── a probe fails (longer open) ──┤
///       └──────────────── `halfOpenProbes` probes succeed ───────┘
///
/// - Closed: every call is permitted; outcomes go into a sliding window (calls, failures, slow calls) and a
///   run of consecutive failures. A trip rule met opens the breaker.
/// - Open: calls are rejected until the open duration passes; the first request after that moves to
///   half-open. Each consecutive trip lengthens the next open duration (policy's multiplier and maximum).
/// - Half-open: at most `halfOpenProbes` calls are in flight; successes close the breaker (clearing the
///   window), a failure reopens it. Other requests are rejected meanwhile.
///
/// Every permit carries the generation (incremented on each transition) it was issued in: outcomes of calls
/// permitted before a transition are ignored, so a slow call from the closed era cannot close or reopen a
/// breaker that moved on. `ignored` outcomes (cancelled calls, client errors) only return a probe's slot.
public struct CircuitBreakerMachine: Sendable {
    /// Where the breaker stands.
    public enum State: String, Sendable, Hashable, CustomStringConvertible {
        /// Calls flow; outcomes are counted.
        case closed
        /// Calls fail fast.
        case open
        /// A few probe calls test whether the destination recovered.
        case halfOpen

        public var description: String { rawValue }
    }

    /// How a permitted call ended.
    public enum Outcome: Sendable, Hashable {
        /// The call succeeded (it may still be slow).
        case success
        /// The call failed by the breaker's definition.
        case failure
        /// The call says nothing about the destination's health (cancelled, a client error).
        case ignored
    }

    /// Permission for one call; hand it back with the outcome.
    public struct Permit: Sendable, Hashable {
        /// The machine generation the permit belongs to.
        public let generation: UInt64
        /// Whether the call is a half-open probe.
        public let isProbe: Bool
    }

    /// The answer to a request for permission.
    public enum Decision: Sendable, Hashable {
        /// Go ahead; report the outcome with this permit.
        case permitted(Permit)
        /// Fail fast; the breaker is open until `until` (nil when half-open with all probes in flight).
        case rejected(until: Timestamp?)
    }

    /// A change of state.
    public struct Transition: Sendable, Hashable, CustomStringConvertible {
        /// The state left.
        public let from: State
        /// The state entered.
        public let to: State
        /// For a transition to open: how long it stays open.
        public let openDuration: Duration?

        public var description: String { "\(from) → \(to)" + (openDuration.map { " for \($0)" } ?? "") }
    }

    /// Calls, failures and slow calls in a slot of the sampling window.
    public struct CallCounts: SlidingWindowCounts {
        /// Calls with an outcome.
        public var calls = 0
        /// Failed calls.
        public var failures = 0
        /// Slow calls (failed or not).
        public var slowCalls = 0

        public static var zero: CallCounts { CallCounts() }
        public mutating func add(_ other: CallCounts) {
            calls += other.calls; failures += other.failures; slowCalls += other.slowCalls
        }
        public mutating func subtract(_ other: CallCounts) {
            calls -= other.calls; failures -= other.failures; slowCalls -= other.slowCalls
        }
    }

    private enum Phase: Sendable {
        case closed(consecutiveFailures: Int)
        case open(until: Timestamp)
        case halfOpen(inFlight: Int, successes: Int)
    }

    /// The rules.
    public let policy: CircuitBreakerPolicy
    private var phase: Phase = .closed(consecutiveFailures: 0)
    private var window: SlidingWindow<CallCounts>
    private var trips = 0
    private var generation: UInt64 = 0

    /// A closed breaker at `now`.
    public init(policy: CircuitBreakerPolicy, now: Timestamp) {
        self.policy = policy
        window = SlidingWindow(length: policy.samplingWindow, slotCount: 10, now: now)
    }

    /// The current state (an open breaker whose time is up still reads open until the next request).
    public var state: State {
        switch phase {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }

    /// The sampling window's counts (closed state).
    public var counts: CallCounts { window.total }

    /// Asks to make a call at `now`. May move an open breaker whose time is up to half-open.
    public mutating func requestPermission(at now: Timestamp) -> (Decision, Transition?) {
        switch phase {
        case .closed:
            return (.permitted(Permit(generation: generation, isProbe: false)), nil)
        case .open(let until):
            guard now >= until else { return (.rejected(until: until), nil) }
            let transition = move(to: .halfOpen(inFlight: 1, successes: 0), openDuration: nil)
            return (.permitted(Permit(generation: generation, isProbe: true)), transition)
        case .halfOpen(let inFlight, let successes):
            guard inFlight < policy.halfOpenProbes else { return (.rejected(until: nil), nil) }
            phase = .halfOpen(inFlight: inFlight + 1, successes: successes)
            return (.permitted(Permit(generation: generation, isProbe: true)), nil)
        }
    }

    /// Reports how a permitted call ended at `now` (`duration` from permission to the outcome, for the
    /// slow-call rule). Returns the transition it caused, if any.
    public mutating func record(_ outcome: Outcome, duration: Duration, permit: Permit, at now: Timestamp) -> Transition? {
        guard permit.generation == generation else { return nil }
        let slow = policy.slowCallRateThreshold != nil && duration >= policy.slowCallDuration
        switch phase {
        case .closed(var consecutive):
            precondition(!permit.isProbe, "a probe permit cannot belong to a closed generation")
            guard outcome != .ignored else { return nil }
            let failed = outcome == .failure
            consecutive = failed ? consecutive + 1 : 0
            phase = .closed(consecutiveFailures: consecutive)
            window.record(CallCounts(calls: 1, failures: failed ? 1 : 0, slowCalls: slow ? 1 : 0), at: now)
            guard shouldTrip(consecutiveFailures: consecutive) else { return nil }
            return open(at: now)
        case .halfOpen(let inFlight, let successes):
            precondition(permit.isProbe && inFlight > 0, "half-open outcomes come from probes")
            switch outcome {
            case .ignored:
                phase = .halfOpen(inFlight: inFlight - 1, successes: successes)
                return nil
            case .failure:
                return open(at: now)
            case .success where slow:
                return open(at: now)
            case .success:
                guard successes + 1 >= policy.halfOpenProbes else {
                    phase = .halfOpen(inFlight: inFlight - 1, successes: successes + 1)
                    return nil
                }
                trips = 0
                window.reset()
                return move(to: .closed(consecutiveFailures: 0), openDuration: nil)
            }
        case .open:
            preconditionFailure("no permit is issued while open")
        }
    }

    /// Opens the breaker at `now` for `duration` (an operator's kill switch), or closes it again (`nil`).
    public mutating func force(open duration: Duration?, at now: Timestamp) -> Transition? {
        if let duration {
            return move(to: .open(until: now + duration), openDuration: duration)
        }
        if case .closed = phase { return nil }
        trips = 0
        window.reset()
        return move(to: .closed(consecutiveFailures: 0), openDuration: nil)
    }

    /// Whether the breaker is closed with nothing remembered at `now` (its state can be dropped).
    public mutating func isIdle(at now: Timestamp) -> Bool {
        guard case .closed(let consecutive) = phase, consecutive == 0 else { return false }
        window.advance(to: now)
        return window.total == .zero
    }

    private func shouldTrip(consecutiveFailures: Int) -> Bool {
        if let limit = policy.consecutiveFailures, consecutiveFailures >= limit { return true }
        let counts = window.total
        guard counts.calls >= policy.minimumThroughput else { return false }
        let calls = Double(counts.calls)
        if let threshold = policy.failureRateThreshold, Double(counts.failures) / calls >= threshold { return true }
        if let threshold = policy.slowCallRateThreshold, Double(counts.slowCalls) / calls >= threshold { return true }
        return false
    }

    private mutating func open(at now: Timestamp) -> Transition {
        let duration = policy.openDuration(afterTrips: trips)
        trips += 1
        return move(to: .open(until: now + duration), openDuration: duration)
    }

    private mutating func move(to next: Phase, openDuration: Duration?) -> Transition {
        let from = state
        phase = next
        generation &+= 1
        return Transition(from: from, to: state, openDuration: openDuration)
    }
}
