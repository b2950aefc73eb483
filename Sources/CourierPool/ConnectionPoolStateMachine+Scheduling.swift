import CourierCore

// The decisions shared by the events: which connection takes a request, when to start connections, what to
// do with a connection that has become idle.
extension ConnectionPoolStateMachine {
    /// Moves the pool's notion of time forward (events from a parallel driver may arrive slightly out of order).
    mutating func advance(to time: Timestamp) {
        if time > now { now = time }
    }

    /// Whether the connection has outlived `maximumConnectionAge`.
    func isTooOld(_ connection: PoolConnections.Connection) -> Bool {
        guard let limit = maximumAgeNanoseconds, !connection.isStarting else { return false }
        return now >= connection.establishedAt.adding(nanoseconds: limit)
    }

    /// Takes room for one request on the best connection (see the theory of operation) and returns it, or nil
    /// if no connection has room. Too-old idle connections met on the way are closed.
    mutating func lease(preferring loop: LoopID?, _ action: inout Action) -> ConnectionID? {
        while let id = connections.idleHTTP1Candidate(preferring: loop) {
            guard let connection = connections[id], !isTooOld(connection) else {
                close(id, &action)
                continue
            }
            occupy(id, &action) { $0.state = .http1(leased: true) }
            return id
        }
        if maximumAgeNanoseconds != nil { retireTooOldHTTP2(&action) }
        guard let id = connections.http2Candidate(preferring: loop),
              case .http2(let open, let maximum)? = connections[id]?.state else { return nil }
        occupy(id, &action) { $0.state = .http2(openStreams: open + 1, maximumStreams: maximum) }
        return id
    }

    /// Applies `change` (which starts work on the connection) and disarms the idle timer if it was armed.
    private mutating func occupy(
        _ id: ConnectionID, _ action: inout Action, _ change: (inout PoolConnections.Connection) -> Void
    ) {
        let wasArmed = connections.modify(id) { connection in
            let armed = connection.idleTimerArmed
            change(&connection)
            connection.idleTimerArmed = false
            return armed
        }
        if wasArmed { action.connections.append(.cancelIdleTimeout(id)) }
    }

    /// Stops new streams on HTTP/2 connections past their maximum age, closing those with none open.
    private mutating func retireTooOldHTTP2(_ action: inout Action) {
        for id in connections.activeHTTP2IDs {
            guard let connection = connections[id], isTooOld(connection) else { continue }
            connections.modify(id) { $0.goingAway = true }
            if connection.isIdle { close(id, &action) }
        }
    }

    /// Forgets the connection and tells the driver to close it.
    mutating func close(_ id: ConnectionID, _ action: inout Action) {
        _ = connections.remove(id)
        action.connections.append(.close(id))
    }

    /// Starts waiting requests, oldest first, while some connection has room; then starts connections if
    /// requests still wait.
    mutating func serviceQueue(_ action: inout Action) {
        while let head = queue.first, let connection = lease(preferring: head.preferredLoop, &action) {
            _ = queue.popFirst()
            action.requests.append(.execute(head.id, on: connection))
            if acquireTimeoutNanoseconds != nil { action.requests.append(.cancelAcquireTimeout(head.id)) }
        }
        startConnectionsIfNeeded(&action)
    }

    /// Starts as many connections as the waiting requests warrant and the limits and backoff allow: one at a
    /// time while the protocol is unknown or HTTP/2, one per waiting request for HTTP/1.1.
    mutating func startConnectionsIfNeeded(_ action: inout Action) {
        guard lifecycle == .running, backoffDeadline == nil, !queue.isEmpty else { return }
        let wanted: Int
        let limit: Int
        switch origin {
        case .unknown:
            wanted = 1
            limit = configuration.maximumConnectionsPerOrigin
        case .http1:
            wanted = queue.count
            limit = configuration.maximumConnectionsPerOrigin
        case .http2:
            wanted = 1
            limit = configuration.maximumHTTP2ConnectionsPerOrigin
        }
        let starting = connections.startingCount
        let count = min(wanted - starting, limit - connections.countedTowardsLimit)
        guard count > 0 else { return }
        // Each new connection is meant for the first waiting request no starting connection is meant for.
        for loop in queue.preferredLoops(skipping: starting, limit: count) {
            let id = connections.create(on: loop)
            action.connections.append(.create(id, on: loop))
        }
    }

    /// Decides the fate of a connection that may have become idle: closed if it is going away or the pool
    /// is shutting down, otherwise given an idle timer.
    mutating func settle(_ id: ConnectionID, _ action: inout Action) {
        guard let connection = connections[id], connection.isIdle else { return }
        if connection.goingAway || lifecycle != .running {
            close(id, &action)
            finishShutdownIfDone(&action)
            return
        }
        guard !connection.idleTimerArmed else { return }
        let idleSince = now
        connections.modify(id) {
            $0.idleTimerArmed = true
            $0.idleSince = idleSince
        }
        action.connections.append(.scheduleIdleTimeout(id, deadline: idleSince.adding(nanoseconds: idleTimeoutNanoseconds)))
    }

    /// Fails the waiting requests that have seen `failFastAfterFailures` failed attempts in a row. They are
    /// the oldest ones, so this stops at the first request that has seen fewer.
    mutating func failWaitingRequests(with error: PoolError, _ action: inout Action) {
        let threshold = UInt64(configuration.failFastAfterFailures)
        while let head = queue.first {
            let seen = min(UInt64(consecutiveFailures), totalFailures - head.failureMark)
            guard seen >= threshold else { break }
            _ = queue.popFirst()
            action.requests.append(.fail(head.id, error))
            if acquireTimeoutNanoseconds != nil { action.requests.append(.cancelAcquireTimeout(head.id)) }
        }
    }

    /// Reports the end of shutdown once the last connection is gone.
    mutating func finishShutdownIfDone(_ action: inout Action) {
        guard lifecycle == .shuttingDown, connections.isEmpty else { return }
        lifecycle = .shutDown
        action.connections.append(.shutdownComplete)
    }
}
