#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of monotonic time. Production code uses `SystemClock`; tests use `ManualClock` so that
/// timeouts, backoff, breakers and limiters run without real sleeps.
public protocol MonotonicClock: Sendable {
    /// The current time on this clock.
    func now() -> Timestamp
}

/// The operating system's monotonic clock (`CLOCK_MONOTONIC`).
public struct SystemClock: MonotonicClock {
    /// Creates the system clock.
    public init() {}

    /// The current monotonic time.
    @inlinable
    public func now() -> Timestamp { Self.now() }

    /// The current monotonic time, without an instance.
    @inlinable
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Timestamp(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
    }
}

/// A clock that moves only when told to, for deterministic tests of time-driven code.
public final class ManualClock: MonotonicClock {
    private let current: Locked<Timestamp>

    /// Creates a clock standing at `start`.
    public init(start: Timestamp = Timestamp(nanoseconds: 1_000_000_000)) {
        current = Locked(start)
    }

    /// The time the clock stands at.
    public func now() -> Timestamp { current.withLock { $0 } }

    /// Moves the clock forward by `duration` (negative durations are ignored).
    public func advance(by duration: Duration) {
        guard duration > .zero else { return }
        current.withLock { $0 = $0 + duration }
    }

    /// Moves the clock to `timestamp` if that is later than now.
    public func advance(to timestamp: Timestamp) {
        current.withLock { $0 = max($0, timestamp) }
    }
}
