import CourierCore

/// Recent latencies in logarithmic buckets (16 per power of two: about 4% precision), for percentile
/// estimates such as a hedging delay at the 95th percentile. Two generations of `window` each are kept, so
/// the estimate follows the last one to two windows. Pure: time is an argument.
public struct LatencyHistogram: Sendable {
    private static let subBuckets = 16
    private static let bucketCount = 64 * subBuckets
    private var current: [UInt32]
    private var previous: [UInt32]
    private var currentCount = 0
    private var previousCount = 0
    private var generationStart: Timestamp
    private let window: Duration

    /// An empty histogram at `now`, forgetting samples older than one to two `window`s.
    public init(window: Duration = .seconds(30), now: Timestamp) {
        current = Array(repeating: 0, count: Self.bucketCount)
        previous = Array(repeating: 0, count: Self.bucketCount)
        generationStart = now
        self.window = window
    }

    /// Samples in the current estimate.
    public var count: Int { currentCount + previousCount }

    /// Adds a latency observed at `now`.
    public mutating func record(_ latency: Duration, at now: Timestamp) {
        rotate(at: now)
        let index = Self.bucket(of: UInt64(max(0, latency.nanosecondsClamped)))
        if current[index] < UInt32.max { current[index] += 1 }
        currentCount += 1
    }

    /// The latency below which a fraction `quantile` (0…1) of the recent samples fall, or nil with fewer
    /// than `minimumSamples` samples. The answer is the upper edge of its bucket (slightly pessimistic).
    public mutating func percentile(_ quantile: Double, minimumSamples: Int = 1, at now: Timestamp) -> Duration? {
        rotate(at: now)
        let total = count
        guard total > 0, total >= minimumSamples else { return nil }
        let rank = max(1, Int((min(1, max(0, quantile)) * Double(total)).rounded(.up)))
        var seen = 0
        for index in 0..<Self.bucketCount {
            seen += Int(current[index]) + Int(previous[index])
            if seen >= rank { return .nanoseconds(Int64(clamping: Self.upperEdge(of: index))) }
        }
        return nil
    }

    private mutating func rotate(at now: Timestamp) {
        let age = now.elapsed(since: generationStart)
        guard age >= window else { return }
        if age >= window + window {
            for index in 0..<Self.bucketCount { previous[index] = 0 }
            previousCount = 0
        } else {
            previous = current
            previousCount = currentCount
        }
        for index in 0..<Self.bucketCount { current[index] = 0 }
        currentCount = 0
        generationStart = now
    }

    /// Values below 16 ns have a bucket each; above, 16 buckets per power of two.
    static func bucket(of value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let fraction = Int((value >> UInt64(exponent - 4)) & 0xF)
        return min(bucketCount - 1, (exponent - 3) * subBuckets + fraction)
    }

    /// The largest value of bucket `index`.
    static func upperEdge(of index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let exponent = index / subBuckets + 3
        let fraction = UInt64(index % subBuckets)
        guard exponent < 63 else { return UInt64.max }
        return ((16 + fraction + 1) << UInt64(exponent - 4)) - 1
    }
}
