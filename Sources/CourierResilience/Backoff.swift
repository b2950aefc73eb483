/// How long to wait before each retry. Pure: the attempt number, the previous delay and a random generator
/// go in, a delay comes out, so the strategies are testable without time passing.
///
/// The jittered strategies follow Marc Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog,
/// 2015): jitter spreads the retries of many clients that failed together, so they do not return together.
/// - `exponential` with `.full` jitter (the default): uniform in `0 ..< min(cap, base·m^(n-1))`.
/// - `.equal` jitter: half of that ceiling fixed, the other half random.
/// - `.none`: the ceiling itself (no spread; use only for a single client).
/// - `decorrelatedJitter`: uniform in `base ..< min(cap, 3·previous)`, a random walk that keeps growing.
/// - `constant`: the same delay every time.
public struct Backoff: Sendable, Hashable, CustomStringConvertible {
    /// How the exponential ceiling is randomized.
    public enum Jitter: Sendable, Hashable {
        /// The ceiling exactly.
        case none
        /// Uniform between zero and the ceiling.
        case full
        /// Half the ceiling plus a uniform amount up to the other half.
        case equal
    }

    enum Strategy: Sendable, Hashable {
        case exponential(base: Duration, multiplier: Double, jitter: Jitter)
        case decorrelated(base: Duration)
        case constant(Duration)
    }

    let strategy: Strategy
    /// No delay is longer than this.
    public var cap: Duration

    /// Exponential growth from `base` by `multiplier` per retry, randomized by `jitter`, at most `cap`.
    public static func exponential(base: Duration = .milliseconds(500), multiplier: Double = 2,
                                   cap: Duration = .seconds(10), jitter: Jitter = .full) -> Backoff {
        precondition(base >= .zero && cap >= .zero, "backoff durations must not be negative")
        precondition(multiplier >= 1, "the backoff multiplier must be at least 1")
        return Backoff(strategy: .exponential(base: base, multiplier: multiplier, jitter: jitter), cap: cap)
    }

    /// Decorrelated jitter: each delay uniform between `base` and three times the previous, at most `cap`.
    public static func decorrelatedJitter(base: Duration = .milliseconds(500), cap: Duration = .seconds(10)) -> Backoff {
        precondition(base >= .zero && cap >= .zero, "backoff durations must not be negative")
        return Backoff(strategy: .decorrelated(base: base), cap: cap)
    }

    /// The same `delay` before every retry.
    public static func constant(_ delay: Duration) -> Backoff {
        precondition(delay >= .zero, "the backoff delay must not be negative")
        return Backoff(strategy: .constant(delay), cap: delay)
    }

    /// Exponential from 500 ms, doubling, capped at 10 s, full jitter.
    public static let `default` = Backoff.exponential()

    /// The wait before retry number `retry` (1 before the second attempt). `previous` is the wait chosen
    /// before the previous retry (decorrelated jitter grows from it; nil for the first retry).
    public func delay(forRetry retry: Int, previous: Duration?,
                      using generator: inout some RandomNumberGenerator) -> Duration {
        let capNanos = Double(cap.nanosecondsClamped)
        let nanos: Double
        switch strategy {
        case .constant(let delay):
            return delay
        case .exponential(let base, let multiplier, let jitter):
            let exponent = Double(max(0, retry - 1))
            let ceiling = min(capNanos, Double(base.nanosecondsClamped) * integerPower(multiplier, exponent))
            switch jitter {
            case .none: nanos = ceiling
            case .full: nanos = ceiling * generator.nextUnit()
            case .equal: nanos = ceiling / 2 + ceiling / 2 * generator.nextUnit()
            }
        case .decorrelated(let base):
            let low = min(capNanos, Double(base.nanosecondsClamped))
            let previousNanos = Double((previous ?? base).nanosecondsClamped)
            let high = min(capNanos, max(low, previousNanos * 3))
            nanos = low + (high - low) * generator.nextUnit()
        }
        return .clampedNanoseconds(min(nanos, capNanos))
    }

    /// The largest delay `delay(forRetry:previous:using:)` can return for `retry` (for reasoning about
    /// deadlines and for tests of the bounds).
    public func maximumDelay(forRetry retry: Int, previous: Duration?) -> Duration {
        switch strategy {
        case .constant(let delay):
            return delay
        case .exponential(let base, let multiplier, _):
            let ceiling = min(Double(cap.nanosecondsClamped),
                              Double(base.nanosecondsClamped) * integerPower(multiplier, Double(max(0, retry - 1))))
            return .clampedNanoseconds(ceiling)
        case .decorrelated(let base):
            let high = max(Double(base.nanosecondsClamped), Double((previous ?? base).nanosecondsClamped) * 3)
            return .clampedNanoseconds(min(Double(cap.nanosecondsClamped), high))
        }
    }

    public var description: String {
        switch strategy {
        case .exponential(let base, let multiplier, let jitter):
            "exponential(base: \(base), multiplier: \(multiplier), cap: \(cap), jitter: \(jitter))"
        case .decorrelated(let base): "decorrelatedJitter(base: \(base), cap: \(cap))"
        case .constant(let delay): "constant(\(delay))"
        }
    }
}

/// `x^y` for a whole `y` (the exponential ceiling), without Foundation.
func integerPower(_ x: Double, _ y: Double) -> Double {
    if y == 0 { return 1 }
    var result = 1.0
    var base = x
    var exponent = Int(min(y, 1024))
    while exponent > 0 {
        if exponent & 1 == 1 { result *= base }
        base *= base
        exponent >>= 1
        if result.isInfinite { return .infinity }
    }
    return result
}

extension Duration {
    /// A duration of `nanoseconds` (rounded down), clamped to what `Int64` nanoseconds can hold.
    static func clampedNanoseconds(_ nanoseconds: Double) -> Duration {
        guard nanoseconds.isFinite else { return nanoseconds > 0 ? .nanoseconds(Int64.max) : .zero }
        if nanoseconds >= 9.2e18 { return .nanoseconds(Int64.max) }
        if nanoseconds <= 0 { return .zero }
        return .nanoseconds(Int64(nanoseconds.rounded(.down)))
    }
}
