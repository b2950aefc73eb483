import CourierCore

/// A binary min-heap of timers ordered by deadline (then by insertion, so equal deadlines fire in order).
/// Cancellation is lazy: a cancelled timer's work is dropped and its heap entry skipped when it surfaces.
/// Loop-confined.
struct TimerQueue {
    private struct Entry {
        var deadline: Timestamp
        var sequence: UInt64
    }

    private var heap: [Entry] = []
    private var work: [UInt64: () -> Void] = [:]

    /// The number of live (not cancelled) timers.
    var count: Int { work.count }

    /// Adds a timer under `id` (unique, increasing: it also orders timers with equal deadlines).
    mutating func schedule(id: UInt64, at deadline: Timestamp, _ body: @escaping () -> Void) {
        work[id] = body
        heap.append(Entry(deadline: deadline, sequence: id))
        siftUp(heap.count - 1)
    }

    /// Cancels a timer; returns whether it was still pending.
    @discardableResult
    mutating func cancel(_ id: UInt64) -> Bool {
        let removed = work.removeValue(forKey: id) != nil
        if work.isEmpty { heap.removeAll(keepingCapacity: true) }
        return removed
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> Timestamp? {
        dropCancelledTop()
        return heap.first?.deadline
    }

    /// Removes and returns the work of the earliest timer due at `now`, if any.
    mutating func popDue(now: Timestamp) -> (() -> Void)? {
        dropCancelledTop()
        guard let top = heap.first, top.deadline <= now else { return nil }
        removeTop()
        return work.removeValue(forKey: top.sequence)
    }

    /// Removes every timer, returning nothing (used at shutdown).
    mutating func removeAll() {
        heap.removeAll()
        work.removeAll()
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, work[top.sequence] == nil { removeTop() }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, Self.before(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard Self.before(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
