import CourierCore

/// Counts that a sliding window sums: a zero, and addition and subtraction of whole slots.
public protocol SlidingWindowCounts: Sendable, Equatable {
    /// Nothing counted.
    static var zero: Self { get }
    /// Adds `other` to these counts.
    mutating func add(_ other: Self)
    /// Removes `other` (previously added) from these counts.
    mutating func subtract(_ other: Self)
}

/// Counts over the last `length` of time, kept in `slotCount` slots that expire one at a time, with the
/// total maintained as slots come and go so reading it is O(1). Pure: time is an argument.
///
/// Precision is one slot: an event is forgotten between `length - length/slotCount` and `length` after
/// it was counted. Time that goes backwards is treated as standing still.
public struct SlidingWindow<Counts: SlidingWindowCounts>: Sendable {
    private var slots: [Counts]
    private let slotNanoseconds: UInt64
    private var currentEpoch: UInt64
    /// The counts of all live slots.
    public private(set) var total: Counts = .zero

    /// A window of `length` made of `slotCount` slots, empty, starting at `now`.
    public init(length: Duration, slotCount: Int = 10, now: Timestamp) {
        precondition(slotCount > 0, "a sliding window needs at least one slot")
        slots = Array(repeating: .zero, count: slotCount)
        slotNanoseconds = max(1, UInt64(max(0, length.nanosecondsClamped)) / UInt64(slotCount))
        currentEpoch = now.nanoseconds / slotNanoseconds
    }

    /// Forgets slots older than the window at `now`.
    public mutating func advance(to now: Timestamp) {
        let epoch = now.nanoseconds / slotNanoseconds
        guard epoch > currentEpoch else { return }
        let count = UInt64(slots.count)
        if epoch - currentEpoch >= count {
            for index in slots.indices { slots[index] = .zero }
            total = .zero
        } else {
            var expired = currentEpoch + 1
            while expired <= epoch {
                let index = Int(expired % count)
                total.subtract(slots[index])
                slots[index] = .zero
                expired += 1
            }
        }
        currentEpoch = epoch
    }

    /// Adds `counts` at `now`.
    public mutating func record(_ counts: Counts, at now: Timestamp) {
        advance(to: now)
        slots[Int(currentEpoch % UInt64(slots.count))].add(counts)
        total.add(counts)
    }

    /// Empties the window.
    public mutating func reset() {
        for index in slots.indices { slots[index] = .zero }
        total = .zero
    }
}
