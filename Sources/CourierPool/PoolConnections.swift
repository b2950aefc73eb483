import CourierCore

/// The connections of one pool and the counts the limits are checked against.
///
/// Lookups by id go through a dictionary; idle HTTP/1.1 connections are also kept in a stack (most recently
/// released last) so the pool can reuse the warmest one and let the others time out; established HTTP/2
/// connections are kept in a short list that is scanned for free streams.
struct PoolConnections: Sendable {
    /// One connection as the pool sees it.
    struct Connection: Sendable {
        /// Where a connection is in its life.
        enum State: Hashable, Sendable {
            /// The driver is connecting (TCP, TLS, ALPN); nothing runs on it yet.
            case starting
            /// HTTP/1.1: one request at a time.
            case http1(leased: Bool)
            /// HTTP/2: `openStreams` of at most `maximumStreams` in use.
            case http2(openStreams: Int, maximumStreams: Int)
        }

        let id: ConnectionID
        let loop: LoopID?
        var state: State = .starting
        /// No new request may start here (GOAWAY, stream ids exhausted, too old); existing ones finish.
        var goingAway = false
        var establishedAt: Timestamp = .zero
        /// When the connection last became idle; its idle deadline is this plus the idle timeout.
        var idleSince: Timestamp = .zero
        /// Whether the driver holds an idle timer for this connection.
        var idleTimerArmed = false

        var isStarting: Bool { state == .starting }

        /// Established with nothing running on it.
        var isIdle: Bool {
            switch state {
            case .starting: return false
            case .http1(let leased): return !leased
            case .http2(let open, _): return open == 0
            }
        }

        /// What the pool's counts and lists need to know about a connection.
        enum Role: Hashable {
            case starting
            /// `reusable`: idle and not going away, so it belongs on the idle stack.
            case http1(reusable: Bool)
            /// `active`: not going away, so it counts against the HTTP/2 limit.
            case http2(active: Bool)
        }

        var role: Role {
            switch state {
            case .starting: return .starting
            case .http1(let leased): return .http1(reusable: !leased && !goingAway)
            case .http2: return .http2(active: !goingAway)
            }
        }

        /// How many more requests may start here now.
        var freeCapacity: Int {
            guard !goingAway else { return 0 }
            switch state {
            case .starting: return 0
            case .http1(let leased): return leased ? 0 : 1
            case .http2(let open, let maximum): return max(0, maximum - open)
            }
        }
    }

    private(set) var table: [ConnectionID: Connection] = [:]
    /// Idle HTTP/1.1 connections that accept requests, most recently released last.
    private var idleHTTP1: [ConnectionID] = []
    /// Established HTTP/2 connections, oldest first.
    private(set) var http2: [ConnectionID] = []
    private var nextID: UInt64 = 0

    /// Connections being established.
    private(set) var startingCount = 0
    /// Established HTTP/1.1 connections (idle or leased).
    private(set) var http1Count = 0
    /// Established HTTP/2 connections that accept new streams (not going away).
    private(set) var activeHTTP2Count = 0

    /// Connections counted against the limits: starting, HTTP/1.1, and HTTP/2 not going away.
    var countedTowardsLimit: Int { startingCount + http1Count + activeHTTP2Count }
    var isEmpty: Bool { table.isEmpty }

    subscript(id: ConnectionID) -> Connection? { table[id] }

    /// Whether `id` was ever handed out by this pool (a late event for a closed one is not a bug).
    func wasIssued(_ id: ConnectionID) -> Bool { id.rawValue < nextID }

    /// Records a new connection attempt and returns its id.
    mutating func create(on loop: LoopID?) -> ConnectionID {
        let id = ConnectionID(nextID)
        nextID += 1
        let connection = Connection(id: id, loop: loop)
        table[id] = connection
        index(id, connection.role)
        return id
    }

    /// Marks a starting connection established; an HTTP/1.1 one enters idle (leased by the caller if used).
    mutating func establish(_ id: ConnectionID, http2MaximumStreams: Int?, now: Timestamp) {
        modify(id) { connection in
            precondition(connection.isStarting, "connection \(id) was established twice")
            connection.establishedAt = now
            connection.idleSince = now
            if let maximum = http2MaximumStreams {
                connection.state = .http2(openStreams: 0, maximumStreams: max(0, maximum))
            } else {
                connection.state = .http1(leased: false)
            }
        }
    }

    /// Forgets a connection (closed, failed, or handed back to the driver to close).
    mutating func remove(_ id: ConnectionID) -> Connection? {
        guard let connection = table[id] else { return nil }
        unindex(id, connection.role)
        table[id] = nil
        return connection
    }

    /// Applies `change` to a connection, keeping the counts and the idle and HTTP/2 lists in step.
    mutating func modify<Result>(_ id: ConnectionID, _ change: (inout Connection) -> Result) -> Result {
        guard var connection = table[id] else { preconditionFailure("connection \(id) is not in the pool") }
        let before = connection.role
        let result = change(&connection)
        let after = connection.role
        if after != before {
            unindex(id, before)
            index(id, after)
        }
        table[id] = connection
        return result
    }

    /// The idle HTTP/1.1 connection a request should use: the most recently released one on `loop`, else
    /// the most recently released one.
    func idleHTTP1Candidate(preferring loop: LoopID?) -> ConnectionID? {
        if let loop, let match = idleHTTP1.last(where: { table[$0]?.loop == loop }) { return match }
        return idleHTTP1.last
    }

    /// The HTTP/2 connection a new stream should use: on `loop` if one there has room, else the one with
    /// the most free streams.
    func http2Candidate(preferring loop: LoopID?) -> ConnectionID? {
        var best: Connection?
        var bestOnLoop: Connection?
        for id in http2 {
            guard let connection = table[id], connection.freeCapacity > 0 else { continue }
            if best.map({ connection.freeCapacity > $0.freeCapacity }) ?? true { best = connection }
            if loop != nil && connection.loop == loop,
               bestOnLoop.map({ connection.freeCapacity > $0.freeCapacity }) ?? true {
                bestOnLoop = connection
            }
        }
        return (bestOnLoop ?? best)?.id
    }

    /// Every established connection with nothing running on it.
    var idleIDs: [ConnectionID] { table.values.filter(\.isIdle).map(\.id).sorted() }

    private mutating func unindex(_ id: ConnectionID, _ role: Connection.Role) {
        switch role {
        case .starting: startingCount -= 1
        case .http1(let reusable):
            http1Count -= 1
            if reusable, let position = idleHTTP1.lastIndex(of: id) { idleHTTP1.remove(at: position) }
        case .http2(let active):
            if active { activeHTTP2Count -= 1 }
            if let position = http2.firstIndex(of: id) { http2.remove(at: position) }
        }
    }

    private mutating func index(_ id: ConnectionID, _ role: Connection.Role) {
        switch role {
        case .starting: startingCount += 1
        case .http1(let reusable):
            http1Count += 1
            if reusable { idleHTTP1.append(id) }
        case .http2(let active):
            if active { activeHTTP2Count += 1 }
            http2.append(id)
        }
    }
}
