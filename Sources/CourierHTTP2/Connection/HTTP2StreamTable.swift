/// The streams of a connection: the active ones (open or half-closed), plus a bounded memory of
/// streams we reset recently, so that frames the peer sent before it saw our RST_STREAM are
/// ignored as RFC 9113 §5.1 requires instead of being treated as errors.
struct HTTP2StreamTable: Sendable {
    private var active: [UInt32: HTTP2StreamRecord]
    /// Streams we reset, oldest first, in a ring of fixed capacity.
    private var recentlyReset: [UInt32]
    private var recentlyResetNext = 0
    /// Active streams we opened / the peer opened.
    private(set) var localCount = 0
    private(set) var peerCount = 0
    let role: HTTP2Connection.Role

    init(role: HTTP2Connection.Role, recentlyResetCapacity: Int) {
        self.role = role
        active = [:]
        active.reserveCapacity(16)
        recentlyReset = []
        recentlyReset.reserveCapacity(recentlyResetCapacity)
        self.recentlyResetCapacity = recentlyResetCapacity
    }

    private let recentlyResetCapacity: Int

    var count: Int { active.count }
    var isEmpty: Bool { active.isEmpty }

    func isLocal(_ id: HTTP2StreamID) -> Bool {
        role == .client ? id.isClientInitiated : id.isServerInitiated
    }

    func contains(_ id: HTTP2StreamID) -> Bool { active[id.rawValue] != nil }

    subscript(id: HTTP2StreamID) -> HTTP2StreamRecord? {
        get { active[id.rawValue] }
        _modify { yield &active[id.rawValue] }
    }

    mutating func insert(_ record: HTTP2StreamRecord) {
        precondition(active[record.id.rawValue] == nil, "stream \(record.id) is already active")
        active[record.id.rawValue] = record
        if isLocal(record.id) { localCount += 1 } else { peerCount += 1 }
    }

    /// Removes an active stream; `reset` remembers it as reset by us.
    @discardableResult
    mutating func remove(_ id: HTTP2StreamID, resetLocally: Bool) -> HTTP2StreamRecord? {
        guard let record = active.removeValue(forKey: id.rawValue) else { return nil }
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
    var ids: [HTTP2StreamID] { active.keys.sorted().map { HTTP2StreamID($0) } }

    /// Calls `body` on every active stream, in no particular order.
    mutating func forEach<Failure: Error>(_ body: (inout HTTP2StreamRecord) throws(Failure) -> Void) throws(Failure) {
        for key in Array(active.keys) {
            try body(&active[key]!)
        }
    }

    /// Removes the streams we opened above `lastStreamID` and returns them, sorted.
    mutating func removeLocal(above lastStreamID: HTTP2StreamID) -> [HTTP2StreamID] {
        let dropped = active.keys.filter { isLocal(HTTP2StreamID($0)) && $0 > lastStreamID.rawValue }.sorted()
        for key in dropped { remove(HTTP2StreamID(key), resetLocally: false) }
        return dropped.map { HTTP2StreamID($0) }
    }
}
