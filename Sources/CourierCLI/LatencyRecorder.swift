import CourierCore
import Histogram

/// The latency histogram the bench workers of one event loop share, sized up front (1 µs to 100 s, 3
/// significant digits, about 70 KB).
///
/// One histogram per worker, growing as slower responses arrive, cost a fifth of the bench's CPU at 64
/// connections on a loaded machine (each growth copies the counts element by element) and 64 KB per
/// worker; the workers of a loop run on its one thread, so the lock is never contended.
final class LatencyRecorder: Sendable {
    private let histogram: Locked<Histogram<UInt32>>

    init() {
        var histogram = Histogram<UInt32>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000,
                                          numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        self.histogram = Locked(histogram)
    }

    /// Records one latency.
    @inline(__always)
    func record(nanoseconds: UInt64) {
        histogram.withLock { _ = $0.record(max(1, nanoseconds / 1000)) }
    }

    /// The samples so far.
    var snapshot: Histogram<UInt32> { histogram.withLock { $0 } }
}
