/// The requests waiting for a connection or stream, first come first served.
///
/// Removal by id (cancel, acquire timeout) is O(1): the entry becomes a hole that `popFirst` skips, and the
/// storage is compacted when holes outnumber live entries, so memory stays proportional to the live count
/// even when requests keep arriving and giving up behind a head that waits for long.
struct PendingRequestQueue: Sendable {
    /// One waiting request.
    struct Entry: Sendable {
        /// The request.
        var id: RequestID
        /// The loop its caller would like it to run on.
        var preferredLoop: LoopID?
        /// The pool's count of failed connection attempts when the request arrived; the difference to the
        /// current count is how many attempts the request has seen fail.
        var failureMark: UInt64
    }

    private var slots: [Entry?] = []
    /// Index of the oldest live entry (or `slots.count`): holes before it are skipped eagerly.
    private var head = 0
    /// Slot index of every live entry.
    private var positions: [RequestID: Int] = [:]

    /// The number of waiting requests.
    var count: Int { positions.count }
    /// Whether no request is waiting.
    var isEmpty: Bool { positions.isEmpty }

    /// Slots held, live or dead; at most about twice `count` (checked by tests).
    var storageCount: Int { slots.count }

    /// Whether `id` is waiting.
    func contains(_ id: RequestID) -> Bool { positions[id] != nil }

    /// Adds a request at the end. A request id may be queued only once at a time.
    mutating func push(_ entry: Entry) {
        precondition(positions[entry.id] == nil, "request \(entry.id) is already waiting in the pool")
        positions[entry.id] = slots.count
        slots.append(entry)
    }

    /// The request that has waited longest, if any.
    var first: Entry? { head < slots.count ? slots[head] : nil }

    /// Removes and returns the request that has waited longest.
    mutating func popFirst() -> Entry? {
        guard head < slots.count, let entry = slots[head] else { return nil }
        positions[entry.id] = nil
        slots[head] = nil
        settle()
        return entry
    }

    /// Removes `id` wherever it is; nil if it is not waiting.
    mutating func remove(_ id: RequestID) -> Entry? {
        guard let index = positions.removeValue(forKey: id) else { return nil }
        let entry = slots[index]
        slots[index] = nil
        settle()
        return entry
    }

    /// Removes and returns every waiting request, oldest first.
    mutating func removeAll() -> [Entry] {
        let entries = slots[head...].compactMap { $0 }
        slots.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        head = 0
        return entries
    }

    /// The preferred loops of up to `limit` waiting requests, skipping the `skip` oldest.
    func preferredLoops(skipping skip: Int, limit: Int) -> [LoopID?] {
        var loops: [LoopID?] = []
        var skipped = 0
        var index = head
        while index < slots.count && loops.count < limit {
            if let entry = slots[index] {
                if skipped < skip { skipped += 1 } else { loops.append(entry.preferredLoop) }
            }
            index += 1
        }
        return loops
    }

    /// Restores the invariants after a removal: `head` on a live entry, dead slots (before `head` or holes
    /// after it) at most as many as live entries, so compaction costs O(1) amortised per removal.
    private mutating func settle() {
        while head < slots.count && slots[head] == nil { head += 1 }
        if positions.isEmpty {
            slots.removeAll(keepingCapacity: slots.count <= 1024)
            head = 0
            return
        }
        let dead = slots.count - positions.count
        guard dead > 32 && dead > positions.count else { return }
        var compacted: [Entry?] = []
        compacted.reserveCapacity(positions.count * 2)
        for case let entry? in slots[head...] {
            positions[entry.id] = compacted.count
            compacted.append(entry)
        }
        slots = compacted
        head = 0
    }
}
