import CourierCore

/// The connections of one pool and the counts the limits are checked against.
///
/// A pool holds a handful of connections (8 HTTP/1.1 or 4 HTTP/2 by default), so they live in a flat array
/// searched linearly: for these sizes a scan beats hashing several times over. Reusable HTTP/1.1 connections
/// also sit on a stack in release order, so the most recently used one is picked without a scan (a pool
/// sized for 64 concurrent requests leases on every request) and the others are left to time out.
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

        /// What the pool's counts need to know about a connection.
        enum Role: Hashable, Sendable {
            case starting
            /// `reusable`: idle and not going away, so a request may take it.
            case http1(reusable: Bool)
            /// `active`: not going away, so it counts against the HTTP/2 limit.
            case http2(active: Bool)
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

        /// How many more requests may start here now.
        var freeCapacity: Int {
            guard !goingAway else { return 0 }
            switch state {
            case .starting: return 0
            case .http1(let leased): return leased ? 0 : 1
            case .http2(let open, let maximum): return max(0, maximum - open)
            }
        }

        var role: Role {
            switch state {
            case .starting: return .starting
            case .http1(let leased): return .http1(reusable: !leased && !goingAway)
            case .http2: return .http2(active: !goingAway)
            }
        }
    }

    /// Every connection, in no particular order.
    private(set) var all: [Connection] = []
    /// Where each connection sits in `all`: several lookups per request, and a pool may hold thousands.
    private var positions: [ConnectionID: Int] = [:]
    private var nextID: UInt64 = 0
    /// Reusable HTTP/1.1 connections (role `.http1(reusable: true)`), the most recently released last.
    private var reusableStack: [(id: ConnectionID, loop: LoopID?)] = []

    /// Connections being established.
    private(set) var startingCount = 0
    /// Established HTTP/1.1 connections (idle or leased).
    private(set) var http1Count = 0
    /// Established HTTP/2 connections that accept new streams (not going away).
    private(set) var activeHTTP2Count = 0

    /// Connections counted against the limits: starting, HTTP/1.1, and HTTP/2 not going away.
    var countedTowardsLimit: Int { startingCount + http1Count + activeHTTP2Count }
    var isEmpty: Bool { all.isEmpty }

    subscript(id: ConnectionID) -> Connection? {
        guard let index = position(of: id) else { return nil }
        return all[index]
    }

    private func position(of id: ConnectionID) -> Int? {
        // A few connections are scanned faster than their id is hashed.
        guard all.count > 8 else { return all.firstIndex { $0.id == id } }
        return positions[id]
    }

    /// Whether `id` was ever handed out by this pool (a late event for a closed one is not a bug).
    func wasIssued(_ id: ConnectionID) -> Bool { id.rawValue < nextID }

    /// Records a new connection attempt and returns its id.
    mutating func create(on loop: LoopID?) -> ConnectionID {
        let id = ConnectionID(nextID)
        nextID += 1
        positions[id] = all.count
        all.append(Connection(id: id, loop: loop))
        startingCount += 1
        return id
    }

    /// Marks a starting connection established: HTTP/1.1 as idle, HTTP/2 with no open stream.
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
    @discardableResult
    mutating func remove(_ id: ConnectionID) -> Connection? {
        guard let index = position(of: id) else { return nil }
        let connection = all[index]
        count(connection.role, by: -1)
        if connection.role == .http1(reusable: true) { dropReusable(id) }
        all.swapAt(index, all.count - 1)
        all.removeLast()
        positions[id] = nil
        if index < all.count { positions[all[index].id] = index }
        return connection
    }

    /// Applies `change` to a connection, keeping the counts in step.
    @discardableResult
    mutating func modify<Result>(_ id: ConnectionID, _ change: (inout Connection) -> Result) -> Result {
        guard let index = position(of: id) else { preconditionFailure("connection \(id) is not in the pool") }
        let before = all[index].role
        let result = change(&all[index])
        let after = all[index].role
        if after != before {
            count(before, by: -1)
            count(after, by: 1)
            if after == .http1(reusable: true) {
                reusableStack.append((id, all[index].loop))
            } else if before == .http1(reusable: true) {
                dropReusable(id)
            }
        }
        return result
    }

    /// The idle HTTP/1.1 connection a request should use: the most recently released one on `loop`, else
    /// the most recently released one.
    func idleHTTP1Candidate(preferring loop: LoopID?) -> ConnectionID? {
        guard let last = reusableStack.last else { return nil }
        guard let loop, last.loop != loop else { return last.id }
        return reusableStack.last { $0.loop == loop }?.id ?? last.id
    }

    /// Takes `id` off the reusable stack; it is almost always on top (the candidate just leased).
    private mutating func dropReusable(_ id: ConnectionID) {
        if reusableStack.last?.id == id {
            reusableStack.removeLast()
        } else if let index = reusableStack.lastIndex(where: { $0.id == id }) {
            reusableStack.remove(at: index)
        }
    }

    /// The HTTP/2 connection a new stream should use: on `loop` if one there has room, else the one with
    /// the most free streams (the oldest on a tie).
    func http2Candidate(preferring loop: LoopID?) -> ConnectionID? {
        guard activeHTTP2Count > 0 else { return nil }
        func better(_ connection: Connection, than other: Connection?) -> Bool {
            guard let other else { return true }
            if connection.freeCapacity != other.freeCapacity { return connection.freeCapacity > other.freeCapacity }
            return connection.id < other.id
        }
        var best: Connection?
        var bestOnLoop: Connection?
        for connection in all where connection.role == .http2(active: true) && connection.freeCapacity > 0 {
            if better(connection, than: best) { best = connection }
            if loop != nil && connection.loop == loop && better(connection, than: bestOnLoop) { bestOnLoop = connection }
        }
        return (bestOnLoop ?? best)?.id
    }

    /// Established HTTP/2 connections still accepting streams, oldest first.
    var activeHTTP2IDs: [ConnectionID] {
        all.filter { $0.role == .http2(active: true) }.map(\.id).sorted()
    }

    /// Every established connection with nothing running on it, oldest first.
    var idleIDs: [ConnectionID] { all.filter(\.isIdle).map(\.id).sorted() }

    private mutating func count(_ role: Connection.Role, by delta: Int) {
        switch role {
        case .starting: startingCount += delta
        case .http1:
            http1Count += delta
        case .http2(let active):
            if active { activeHTTP2Count += delta }
        }
    }
}
