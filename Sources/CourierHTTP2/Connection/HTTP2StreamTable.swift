/// The streams of a connection: the active ones (open or half-closed), plus a bounded memory of
/// streams we reset recently, so that frames the peer sent before it saw our RST_STREAM are
/// ignored as RFC 9113 §5.1 requires instead of being treated as errors.
///
/// Active streams are kept densely in an array, found through an open-addressing index (linear
/// probing, a multiplicative hash of the identifier, at most half full): a lookup costs a multiply
/// and usually one probe, and nothing is allocated per stream once the arrays have grown.
struct HTTP2StreamTable: Sendable {
    private var records: [HTTP2StreamRecord] = []
    /// Index into `records`, or -1 for an empty slot; the count is a power of two.
    private var slots: [Int32]
    private var mask: Int
    /// Streams we reset, in a ring of fixed capacity.
    private var recentlyReset: [UInt32] = []
    private var recentlyResetNext = 0
    private let recentlyResetCapacity: Int
    /// Active streams we opened / the peer opened.
    private(set) var localCount = 0
    private(set) var peerCount = 0
    let role: HTTP2Connection.Role

    init(role: HTTP2Connection.Role, recentlyResetCapacity: Int) {
        self.role = role
        self.recentlyResetCapacity = recentlyResetCapacity
        records.reserveCapacity(8)
        slots = Array(repeating: -1, count: 16)
        mask = 15
        recentlyReset.reserveCapacity(min(recentlyResetCapacity, 64))
    }

    var count: Int { records.count }
    var isEmpty: Bool { records.isEmpty }

    func isLocal(_ id: HTTP2StreamID) -> Bool {
        role == .client ? id.isClientInitiated : id.isServerInitiated
    }

    @inline(__always)
    private func home(_ id: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(id) &* 0x9e37_79b9_7f4a_7c15) >> 32) & mask
    }

    /// The slot holding `id`'s record index, or nil.
    @inline(__always)
    private func slot(of id: UInt32) -> Int? {
        var slot = home(id)
        while true {
            let index = slots[slot]
            if index < 0 { return nil }
            if records[Int(index)].id.rawValue == id { return slot }
            slot = (slot + 1) & mask
        }
    }

    func contains(_ id: HTTP2StreamID) -> Bool { slot(of: id.rawValue) != nil }

    /// The record of a stream, or nil when it is not active.
    subscript(id: HTTP2StreamID) -> HTTP2StreamRecord? {
        slot(of: id.rawValue).map { records[Int(slots[$0])] }
    }

    /// The record of a stream that is active (a programming error otherwise), for reading and
    /// updating in place. The accessor yields the array element itself: a coroutine that copied
    /// the record would need a heap-allocated frame.
    subscript(active id: HTTP2StreamID) -> HTTP2StreamRecord {
        get { records[Int(slots[slot(of: id.rawValue)!])] }
        _modify {
            let index = Int(slots[slot(of: id.rawValue)!])
            yield &records[index]
        }
    }

    mutating func insert(_ record: HTTP2StreamRecord) {
        precondition(!contains(record.id), "stream \(record.id) is already active")
        if (records.count + 1) * 2 > slots.count { grow() }
        var slot = home(record.id.rawValue)
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(records.count)
        records.append(record)
        if isLocal(record.id) { localCount += 1 } else { peerCount += 1 }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (index, record) in records.enumerated() {
            var slot = home(record.id.rawValue)
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
    }

    /// Removes an active stream; `resetLocally` remembers it as reset by us.
    @discardableResult
    mutating func remove(_ id: HTTP2StreamID, resetLocally: Bool) -> HTTP2StreamRecord? {
        guard var hole = slot(of: id.rawValue) else { return nil }
        let index = Int(slots[hole])
        // Backward-shift deletion keeps every probe sequence unbroken.
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let ideal = home(records[Int(slots[next])].id.rawValue)
            // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
            let movable = hole <= next ? (ideal <= hole || ideal > next) : (ideal <= hole && ideal > next)
            if movable {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        // Fill the record's place with the last record and repoint that record's slot.
        let record = records[index]
        let last = records.count - 1
        if index != last {
            records[index] = records[last]
            var slot = home(records[index].id.rawValue)
            while Int(slots[slot]) != last { slot = (slot + 1) & mask }
            slots[slot] = Int32(index)
        }
        records.removeLast()
        if isLocal(id) { localCount -= 1 } else { peerCount -= 1 }
        if resetLocally { rememberReset(id) }
        return record
    }

    /// Remembers a stream reset by us that never became active (e.g. refused on arrival).
    mutating func rememberReset(_ id: HTTP2StreamID) {
        if recentlyReset.count < recentlyResetCapacity {
            recentlyReset.append(id.rawValue)
        } else {
            recentlyReset[recentlyResetNext] = id.rawValue
            recentlyResetNext = (recentlyResetNext + 1) % recentlyResetCapacity
        }
    }

    func wasRecentlyReset(_ id: HTTP2StreamID) -> Bool { recentlyReset.contains(id.rawValue) }

    /// The identifiers of the active streams, sorted.
    var ids: [HTTP2StreamID] { records.map(\.id).sorted() }

    /// Calls `body` on every active stream, in no particular order.
    mutating func forEach<Failure: Error>(_ body: (inout HTTP2StreamRecord) throws(Failure) -> Void) throws(Failure) {
        for index in records.indices { try body(&records[index]) }
    }

    /// Removes the streams we opened above `lastStreamID` and returns them, sorted.
    mutating func removeLocal(above lastStreamID: HTTP2StreamID) -> [HTTP2StreamID] {
        let dropped = records.map(\.id).filter { isLocal($0) && $0 > lastStreamID }.sorted()
        for id in dropped { remove(id, resetLocally: false) }
        return dropped
    }
}
