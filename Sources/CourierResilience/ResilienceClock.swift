import CourierCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time resilience middleware reads and waits on: a monotonic `now()`, a cancellable `sleep(until:)`
/// and the wall-clock time (for `Retry-After` dates). Tests pass a virtual clock so that backoff, breakers and
/// limiters run without real sleeps; production uses `SystemResilienceClock`.
///
/// Deadlines that middleware hands to the client (`HTTPClientRequest.responseHeadDeadline`) are on this
/// clock, which must therefore be the client's (`SystemClock`) whenever the network transport is used.
public protocol ResilienceClock: MonotonicClock {
    /// Returns at `deadline` (at once if it passed); throws `CancellationError` if the task is cancelled
    /// first.
    func sleep(until deadline: Timestamp) async throws(CancellationError)
    /// Seconds since 1970-01-01 UTC.
    func unixTime() -> Double
}

/// The operating system's clocks: `CLOCK_MONOTONIC` for time, `CLOCK_REALTIME` for dates, `Task.sleep` to wait.
public struct SystemResilienceClock: ResilienceClock {
    /// The system clocks.
    public init() {}

    /// The current monotonic time.
    @inlinable
    public func now() -> Timestamp { SystemClock.now() }

    public func sleep(until deadline: Timestamp) async throws(CancellationError) {
        let delay = deadline - SystemClock.now()
        guard delay > .zero else {
            if Task.isCancelled { throw CancellationError() }
            return
        }
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw CancellationError()
        }
    }

    public func unixTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
