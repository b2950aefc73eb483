// Theory of operation
// ===================
// One `ConnectionPoolStateMachine` serves one origin (scheme, host, port, TLS configuration). It is a pure
// value: every input is a `mutating func` that takes the time as an argument and returns an `Action` saying
// what to do with requests (execute, fail, arm or disarm their acquire timer) and with connections (create,
// close, arm or disarm idle timers, arm the backoff timer, report shutdown). A driver owns the value, feeds
// it the events it sees (requests arriving and giving up, connections establishing, failing, finishing work,
// HTTP/2 SETTINGS and GOAWAY, timers firing) and performs the actions. The machine does no I/O, reads no
// clock, takes no randomness, and so can be tested exhaustively with a model driver.
//
// Requests. A request goes straight to a connection with room, chosen in this order: an idle HTTP/1.1
// connection on the caller's preferred loop, any idle HTTP/1.1 connection (most recently used first, so the
// others can time out), then an HTTP/2 connection with a free stream (on the preferred loop, else the one with
// the most free streams). Otherwise it waits in a FIFO queue (bounded by `maximumPendingRequests`) with an
// acquire timer. Whenever capacity appears (a connection is established, a request or stream finishes,
// SETTINGS raise a stream limit) the queue is served from its head. Invariant: while a request waits, no
// connection has room for it.
//
// Connections. Which protocol the origin speaks is learned from established connections: with
// `.automatic`, the first request starts one connection and later ones wait behind it; once the origin is
// known to speak HTTP/1.1, one connection is started per waiting request up to `maximumConnectionsPerOrigin`;
// for HTTP/2 one connection at a time is started, and only when every connection accepting streams is full
// (up to `maximumHTTP2ConnectionsPerOrigin`; connections going away do not count). A connection that
// establishes beyond its protocol's limit (the origin changed protocol) is closed at once.
//
// Timers. A connection with nothing running on it is idle and has an idle timer; reuse cancels the timer,
// firing closes the connection. Too-old connections (`maximumConnectionAge`) are closed when idle and take no
// new work. A failed connection attempt arms the pool's single backoff timer; no connection is started until
// it fires. When nothing else could serve the waiting requests (no connection established or starting), those
// that have seen `failFastAfterFailures` failures in a row fail with the connection error.
//
// Shutdown fails the queue, closes idle connections, closes busy ones as they become idle, and reports
// `shutdownComplete` once the pool holds no connection.
//
// Events about connections the pool has already closed or forgotten are ignored: a parallel driver may report
// them late. Events that could only come from a driver bug (an id the pool never created, a connection
// established twice, a request finishing on an idle connection) trap with a message.
import CourierCore

/// The per-origin connection pool as a pure state machine: events in, `Action`s out.
public struct ConnectionPoolStateMachine: Sendable {
    enum Lifecycle: Sendable { case running, shuttingDown, shutDown }
    /// What the origin is believed to speak: from configuration, or the last established connection.
    enum OriginProtocol: Sendable { case unknown, http1, http2 }

    /// The limits in force (normalised: at least one connection of each kind, fail-fast after ≥ 1 failure).
    public let configuration: ConnectionPoolConfiguration
    var lifecycle = Lifecycle.running
    var origin: OriginProtocol
    var connections = PoolConnections()
    var queue = PendingRequestQueue()
    /// Failed attempts since the last successful one.
    var consecutiveFailures = 0
    /// Failed attempts ever; a waiting request's `failureMark` is this value when it arrived.
    var totalFailures: UInt64 = 0
    var lastConnectError: (any Error & Sendable)?
    /// When the pending backoff ends; no connection is started before.
    var backoffDeadline: Timestamp?
    /// The latest time any event carried; events without a time (SETTINGS, GOAWAY, cancel) use it.
    var now = Timestamp.zero
    // The configuration's durations in nanoseconds: converting a `Duration` costs more than the rest of an event.
    let idleTimeoutNanoseconds: UInt64
    let acquireTimeoutNanoseconds: UInt64?
    let maximumAgeNanoseconds: UInt64?

    /// Creates an empty pool.
    public init(configuration: ConnectionPoolConfiguration = ConnectionPoolConfiguration()) {
        self.configuration = configuration.normalized
        func nanoseconds(_ duration: Duration) -> UInt64 { UInt64(max(0, duration.nanosecondsClamped)) }
        idleTimeoutNanoseconds = nanoseconds(configuration.idleTimeout)
        acquireTimeoutNanoseconds = configuration.acquireTimeout.map(nanoseconds)
        maximumAgeNanoseconds = configuration.maximumConnectionAge.map(nanoseconds)
        switch configuration.preferredProtocol {
        case .automatic: origin = .unknown
        case .http1Only: origin = .http1
        case .http2PriorKnowledge: origin = .http2
        }
    }

    // MARK: Requests

    /// A request wants a connection: it runs at once, waits, or fails (queue full, pool shut down).
    public mutating func executeRequest(_ id: RequestID, preferredLoop: LoopID?, now: Timestamp) -> Action {
        advance(to: now)
        var action = Action()
        guard lifecycle == .running else {
            action.requests.append(.fail(id, .shutdown))
            return action
        }
        if let connection = lease(preferring: preferredLoop, &action) {
            action.requests.append(.execute(id, on: connection))
            return action
        }
        guard queue.count < configuration.maximumPendingRequests else {
            action.requests.append(.fail(id, .tooManyPendingRequests))
            startConnectionsIfNeeded(&action)  // `lease` may have closed too-old connections
            return action
        }
        queue.push(.init(id: id, preferredLoop: preferredLoop, failureMark: totalFailures))
        if let timeout = acquireTimeoutNanoseconds {
            action.requests.append(.scheduleAcquireTimeout(id, deadline: self.now.adding(nanoseconds: timeout)))
        }
        startConnectionsIfNeeded(&action)
        return action
    }

    /// The caller gave up on a waiting request. A request already executing is the driver's business:
    /// then (and for unknown ids) nothing happens.
    public mutating func cancelRequest(_ id: RequestID) -> Action {
        guard queue.remove(id) != nil, acquireTimeoutNanoseconds != nil else { return .none }
        return .request(.cancelAcquireTimeout(id))
    }

    /// A request's acquire timer fired: if it is still waiting, it fails with `acquireTimeout`.
    public mutating func acquireTimeoutFired(_ id: RequestID, now: Timestamp) -> Action {
        advance(to: now)
        guard queue.remove(id) != nil else { return .none }
        return .request(.fail(id, .acquireTimeout(lastConnectError: lastConnectError)))
    }

    /// A request (HTTP/1.1) or stream (HTTP/2) on `connection` is done. For HTTP/1.1, `reusable` is false
    /// when the response asked to close or framing failed; the connection is then closed. For HTTP/2 it is
    /// ignored (a broken connection is reported with `connectionClosed` or `connectionGoingAway`).
    public mutating func requestFinished(on id: ConnectionID, reusable: Bool, now: Timestamp) -> Action {
        advance(to: now)
        guard let connection = connections[id] else { return .none }
        var action = Action()
        switch connection.state {
        case .starting:
            preconditionFailure("a request finished on connection \(id), which is not established")
        case .http1(let leased):
            precondition(leased, "a request finished on connection \(id), which is idle")
            if !reusable || connection.goingAway || lifecycle != .running || isTooOld(connection) {
                close(id, &action)
                serviceQueue(&action)
                finishShutdownIfDone(&action)
                return action
            }
            connections.modify(id) { $0.state = .http1(leased: false) }
        case .http2(let open, let maximum):
            precondition(open > 0, "a stream finished on connection \(id), which has no open stream")
            let retire = isTooOld(connection)
            connections.modify(id) {
                $0.state = .http2(openStreams: open - 1, maximumStreams: maximum)
                if retire { $0.goingAway = true }
            }
        }
        serviceQueue(&action)
        settle(id, &action)
        return action
    }

    // MARK: Connections

    /// A connection the pool asked for is ready and speaks `negotiated`.
    public mutating func connectionEstablished(
        _ id: ConnectionID, protocol negotiated: NegotiatedProtocol, now: Timestamp
    ) -> Action {
        advance(to: now)
        var action = Action()
        guard let connection = connections[id] else {
            precondition(connections.wasIssued(id), "connection \(id) was never created by this pool")
            action.connections.append(.close(id))  // reported closed before: nothing may run on it
            return action
        }
        precondition(connection.isStarting, "connection \(id) was established twice")
        consecutiveFailures = 0
        lastConnectError = nil
        let maximumStreams: Int?
        let overLimit: Bool
        switch negotiated {
        case .http1:
            origin = .http1
            maximumStreams = nil
            overLimit = connections.http1Count >= configuration.maximumConnectionsPerOrigin
        case .http2(let streams):
            origin = .http2
            maximumStreams = max(0, streams)
            overLimit = connections.activeHTTP2Count >= configuration.maximumHTTP2ConnectionsPerOrigin
        }
        if overLimit || lifecycle != .running {
            close(id, &action)
            serviceQueue(&action)
            finishShutdownIfDone(&action)
            return action
        }
        connections.establish(id, http2MaximumStreams: maximumStreams, now: self.now)
        serviceQueue(&action)
        settle(id, &action)
        return action
    }

    /// A connection attempt failed before the connection was usable. `error` is the transport's error; the
    /// requests that fail because of it get `PoolError.connectFailed(error)` (a `PoolError` is passed on as is).
    public mutating func connectionFailed(_ id: ConnectionID, error: any Error & Sendable, now: Timestamp) -> Action {
        advance(to: now)
        guard let connection = connections[id] else {
            precondition(connections.wasIssued(id), "connection \(id) was never created by this pool")
            return .none
        }
        precondition(connection.isStarting, "connection \(id) failed after it was established")
        var action = Action()
        _ = connections.remove(id)
        consecutiveFailures += 1
        totalFailures += 1
        lastConnectError = error
        guard lifecycle == .running else {
            finishShutdownIfDone(&action)
            return action
        }
        if connections.countedTowardsLimit == 0 {
            failWaitingRequests(with: error as? PoolError ?? .connectFailed(error), &action)
        }
        let deadline = self.now + configuration.connectBackoff.delay(afterFailures: consecutiveFailures)
        let later = max(backoffDeadline ?? deadline, deadline)
        backoffDeadline = later
        action.connections.append(.scheduleBackoff(deadline: later))
        return action
    }

    /// Whether requests wait for a connection or stream.
    public var hasWaitingRequests: Bool { !queue.isEmpty }

    /// A connection still starting is given up without having failed (the driver found it no longer needed:
    /// no request waits). Nothing counts as a failure; waiting requests, if any arrived since, are served.
    public mutating func connectionAbandoned(_ id: ConnectionID, now: Timestamp) -> Action {
        advance(to: now)
        guard let connection = connections[id], connection.isStarting else { return .none }
        var action = Action()
        _ = connections.remove(id)
        guard lifecycle == .running else {
            finishShutdownIfDone(&action)
            return action
        }
        serviceQueue(&action)
        return action
    }

    /// The peer changed SETTINGS_MAX_CONCURRENT_STREAMS on an HTTP/2 connection; waiting requests that now
    /// fit start at once. Streams beyond a lowered limit finish normally. Before the connection is reported
    /// established this is ignored: the limit then comes with `connectionEstablished`.
    public mutating func http2SettingsChanged(_ id: ConnectionID, maximumStreams: Int) -> Action {
        guard let connection = connections[id], !connection.isStarting else { return .none }
        guard case .http2(let open, _) = connection.state else {
            preconditionFailure("SETTINGS for connection \(id), which is not an established HTTP/2 connection")
        }
        var action = Action()
        connections.modify(id) { $0.state = .http2(openStreams: open, maximumStreams: max(0, maximumStreams)) }
        serviceQueue(&action)
        settle(id, &action)
        return action
    }

    /// No new request may start on the connection (GOAWAY received, stream ids exhausted); the ones running
    /// finish. The pool closes it once it is idle and starts a replacement if requests wait.
    public mutating func connectionGoingAway(_ id: ConnectionID) -> Action {
        guard let connection = connections[id], !connection.goingAway else { return .none }
        precondition(!connection.isStarting, "connection \(id) is going away before it was established")
        var action = Action()
        connections.modify(id) { $0.goingAway = true }
        settle(id, &action)
        serviceQueue(&action)
        return action
    }

    /// The connection closed, for any reason and in any state (requests running on it are the driver's
    /// business). A connection that closes before it is established should be reported as failed instead.
    public mutating func connectionClosed(_ id: ConnectionID, now: Timestamp) -> Action {
        advance(to: now)
        guard connections.remove(id) != nil else { return .none }
        var action = Action()
        serviceQueue(&action)
        finishShutdownIfDone(&action)
        return action
    }

    // MARK: Timers and shutdown

    /// A connection's idle timer fired: the connection is closed if it is still idle and its deadline passed
    /// (a late or early timer is ignored or re-armed).
    public mutating func idleTimeoutFired(_ id: ConnectionID, now: Timestamp) -> Action {
        advance(to: now)
        guard let connection = connections[id], connection.isIdle, connection.idleTimerArmed else { return .none }
        let deadline = connection.idleSince.adding(nanoseconds: idleTimeoutNanoseconds)
        guard self.now >= deadline else { return .connection(.scheduleIdleTimeout(id, deadline: deadline)) }
        var action = Action()
        close(id, &action)
        serviceQueue(&action)  // a connection with no room (zero streams, too old) may have held the last slot
        return action
    }

    /// Closes the connection idle the longest, if any: another origin needs its slot under the client-wide
    /// connection limit. Returns no action when no connection is idle.
    public mutating func evictIdleConnection(now: Timestamp) -> Action {
        advance(to: now)
        let idle = connections.idleIDs.compactMap { connections[$0] }
        guard let oldest = idle.min(by: { $0.idleSince < $1.idleSince }) else { return .none }
        var action = Action()
        close(oldest.id, &action)
        serviceQueue(&action)
        return action
    }

    /// The backoff timer fired: connections may be started again for the waiting requests.
    public mutating func backoffFinished(now: Timestamp) -> Action {
        advance(to: now)
        guard let deadline = backoffDeadline else { return .none }
        guard self.now >= deadline else { return .connection(.scheduleBackoff(deadline: deadline)) }
        backoffDeadline = nil
        var action = Action()
        serviceQueue(&action)
        return action
    }

    /// Fails every waiting request with `shutdown`, closes idle connections now and busy ones when they
    /// become idle, and reports `shutdownComplete` once no connection is left. Later requests fail at once.
    public mutating func shutdown() -> Action {
        guard lifecycle == .running else { return .none }
        lifecycle = .shuttingDown
        var action = Action()
        for entry in queue.removeAll() {
            action.requests.append(.fail(entry.id, .shutdown))
            if acquireTimeoutNanoseconds != nil { action.requests.append(.cancelAcquireTimeout(entry.id)) }
        }
        for id in connections.idleIDs { close(id, &action) }
        finishShutdownIfDone(&action)
        return action
    }
}
