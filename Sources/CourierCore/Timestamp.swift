/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// State machines take time as a `Timestamp` argument instead of reading a clock, so tests can drive
/// them with `ManualClock`. Arithmetic saturates rather than trapping, so `.distantFuture` is safe to add to.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    /// Creates a timestamp from nanoseconds since the clock's origin.
    @inlinable
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// A timestamp later than any real one; used as "no deadline".
    public static let distantFuture = Timestamp(nanoseconds: UInt64.max)
    /// The clock's origin.
    public static let zero = Timestamp(nanoseconds: 0)

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The timestamp `duration` later (or earlier, for a negative duration), saturating at the ends.
    @inlinable
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let delta = rhs.nanosecondsClamped
        if delta >= 0 {
            let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(UInt64(delta))
            return Timestamp(nanoseconds: overflow ? .max : sum)
        }
        let magnitude = delta.magnitude
        return Timestamp(nanoseconds: lhs.nanoseconds > magnitude ? lhs.nanoseconds - magnitude : 0)
    }

    /// The duration from `rhs` to `lhs` (negative when `lhs` is earlier).
    @inlinable
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        if lhs.nanoseconds >= rhs.nanoseconds {
            let delta = lhs.nanoseconds - rhs.nanoseconds
            return .nanoseconds(delta > UInt64(Int64.max) ? Int64.max : Int64(delta))
        }
        let delta = rhs.nanoseconds - lhs.nanoseconds
        return .nanoseconds(delta > UInt64(Int64.max) ? Int64.min : -Int64(delta))
    }

    /// The timestamp `nanoseconds` later, saturating at the end of time (cheaper than adding a `Duration`).
    @inlinable
    public func adding(nanoseconds: UInt64) -> Timestamp {
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(nanoseconds)
        return Timestamp(nanoseconds: overflow ? .max : sum)
    }

    /// The duration since `earlier`, or zero if `earlier` is later.
    @inlinable
    public func elapsed(since earlier: Timestamp) -> Duration {
        self > earlier ? self - earlier : .zero
    }

    public var description: String { "Timestamp(\(nanoseconds)ns)" }
}

extension Duration {
    /// This duration in whole nanoseconds, clamped to the range of `Int64`.
    @inlinable
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return total
    }

    /// This duration in seconds as a floating-point number (for reports and logs).
    @inlinable
    public var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
