// The events the model driver feeds the pool, each checked against what the pool answers.
import CourierCore
import CourierPool

/// The error the simulated origin's failed connection attempts report.
struct SimulatedConnectError: Error, Sendable, Equatable {
    let connection: ConnectionID
}

extension PoolModel {
    mutating func submit(preferredLoop: LoopID?) throws(ModelViolation) {
        let id = RequestID(nextRequest)
        nextRequest += 1
        let queueFull = waitingCount >= configuration.maximumPendingRequests
        requests[id] = .waiting
        failureMarks[id] = totalFailures
        record("submit \(id) on \(preferredLoop.map { "\($0)" } ?? "any loop")")
        let action = pool.executeRequest(id, preferredLoop: preferredLoop, now: passTime(clock))
        try apply(action, for: .submit(id, queueFull: queueFull))
        if shutdownRequested { try check(outcomes[id] == .failed(.shutdown), "\(id) accepted after shutdown") }
    }

    mutating func cancel(_ id: RequestID) throws(ModelViolation) {
        let state = requests[id]
        let wasWaiting = state == .waiting
        record("cancel \(id) (\(state.map { "\($0)" } ?? "ended"))")
        if wasWaiting { conclude(id, .cancelled) }
        let action = pool.cancelRequest(id)
        let expected: ActionList<ConnectionPoolStateMachine.RequestAction> =
            wasWaiting && configuration.acquireTimeout != nil ? [.cancelAcquireTimeout(id)] : []
        try check(action.requests == expected && action.connections.isEmpty, "cancel \(id) answered \(action)")
        try apply(action, for: .other)
    }

    mutating func establish(_ id: ConnectionID, http2MaximumStreams: Int?) throws(ModelViolation) {
        record("established \(id) as \(http2MaximumStreams.map { "h2 (\($0) streams)" } ?? "http/1.1")")
        let now = passTime(clock)
        consecutiveFailures = 0
        connections[id]?.established = true
        connections[id]?.establishedAt = poolNow
        if let streams = http2MaximumStreams {
            connections[id]?.isHTTP2 = true
            connections[id]?.maximumStreams = streams
            origin = .http2
        } else {
            origin = .http1
        }
        let action = pool.connectionEstablished(
            id, protocol: http2MaximumStreams.map { .http2(maximumStreams: $0) } ?? .http1, now: now)
        try apply(action, for: .other)
    }

    mutating func fail(_ id: ConnectionID) throws(ModelViolation) {
        record("connect failed \(id)")
        connections[id] = nil
        consecutiveFailures += 1
        totalFailures += 1
        let action = pool.connectionFailed(id, error: SimulatedConnectError(connection: id), now: passTime(clock))
        for case .fail(_, let error) in action.requests {
            try check((error.underlying as? SimulatedConnectError) == SimulatedConnectError(connection: id),
                      "failed with \(error), not the connection error")
        }
        try apply(action, for: .connectionFailed)
        guard !shutdownRequested else { return }
        try check(backoffDeadline != nil, "no backoff after a failed attempt")
        if countedTowardsLimit(includingTooOld: true) == 0 {
            for (request, state) in requests where state == .waiting {
                try check(failuresSeen(request) < configuration.failFastAfterFailures,
                          "\(request) still waits after \(failuresSeen(request)) failed attempts with nothing open")
            }
        }
    }

    mutating func finish(_ id: RequestID, reusable: Bool) throws(ModelViolation) {
        guard case .executing(let connectionID) = requests[id] else { return }
        record("finished \(id) on \(connectionID)\(reusable ? "" : ", not reusable")")
        conclude(id, .executed)
        connections[connectionID]?.running.remove(id)
        let isHTTP1 = connections[connectionID]?.isHTTP2 == false
        let action = pool.requestFinished(on: connectionID, reusable: reusable, now: passTime(clock))
        try apply(action, for: .other)
        if isHTTP1 && !reusable { try check(connections[connectionID] == nil, "\(connectionID) kept after close") }
    }

    mutating func changeSettings(_ id: ConnectionID, maximumStreams: Int) throws(ModelViolation) {
        record("SETTINGS on \(id): \(maximumStreams) streams")
        connections[id]?.maximumStreams = maximumStreams
        try apply(pool.http2SettingsChanged(id, maximumStreams: maximumStreams), for: .other)
    }

    mutating func goAway(_ id: ConnectionID) throws(ModelViolation) {
        record("going away \(id)")
        connections[id]?.goingAway = true
        try apply(pool.connectionGoingAway(id), for: .other)
    }

    /// The connection closed on the driver's side (peer closed it, or it closed before it was established).
    mutating func peerClose(_ id: ConnectionID) throws(ModelViolation) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        record("closed by peer \(id) running \(connection.running.sorted())")
        for request in connection.running { conclude(request, .executed) }  // the driver's business
        if let deadline = connection.idleDeadline { staleIdleTimers.append((id, deadline)) }
        remember(closed: id)
        try apply(pool.connectionClosed(id, now: passTime(clock)), for: .other)
    }

    mutating func fireIdleTimer(_ id: ConnectionID) throws(ModelViolation) {
        guard let deadline = connections[id]?.idleDeadline else { return }
        clock = max(clock, deadline)
        record("idle timer fired for \(id)")
        connections[id]?.idleDeadline = nil
        try apply(pool.idleTimeoutFired(id, now: passTime(clock)), for: .other)
        try check(connections[id] == nil, "\(id) not closed when its idle timer fired")
    }

    mutating func fireStaleIdleTimer(_ id: ConnectionID, deadline: Timestamp) throws(ModelViolation) {
        clock = max(clock, deadline)
        record("stale idle timer fired for \(id)")
        try apply(pool.idleTimeoutFired(id, now: passTime(clock)), for: .other)
    }

    mutating func fireAcquireTimer(_ id: RequestID) throws(ModelViolation) {
        guard let deadline = acquireTimers.removeValue(forKey: id) else { return }
        clock = max(clock, deadline)
        record("acquire timer fired for \(id)")
        try apply(pool.acquireTimeoutFired(id, now: passTime(clock)), for: .acquireTimeout(id))
        try check(outcomes[id] == .failed(.acquireTimeout), "\(id) still \(String(describing: requests[id])) after its acquire timeout")
    }

    mutating func fireStaleAcquireTimer(_ id: RequestID) throws(ModelViolation) {
        record("stale acquire timer fired for \(id)")
        let action = pool.acquireTimeoutFired(id, now: passTime(clock))
        try check(action.isEmpty, "stale acquire timer of \(id) answered \(action)")
    }

    mutating func fireBackoff() throws(ModelViolation) {
        guard let deadline = backoffDeadline else { return }
        clock = max(clock, deadline)
        backoffDeadline = nil
        record("backoff finished")
        try apply(pool.backoffFinished(now: passTime(clock)), for: .backoffFinished)
    }

    mutating func shutdown() throws(ModelViolation) {
        record("shutdown")
        shutdownRequested = true
        try apply(pool.shutdown(), for: .other)
        try check(waitingCount == 0, "requests still wait after shutdown")
        try check(shutdownCompleted == connections.isEmpty, "shutdown complete: \(shutdownCompleted), open: \(connections.count)")
    }

    /// An event about a connection the pool has already forgotten: it must be ignored.
    mutating func lateEvent(_ id: ConnectionID, kind: Int) throws(ModelViolation) {
        record("late event \(kind) for closed \(id)")
        let action: ConnectionPoolStateMachine.Action
        switch kind {
        case 0: action = pool.requestFinished(on: id, reusable: true, now: passTime(clock))
        case 1: action = pool.connectionClosed(id, now: passTime(clock))
        case 2: action = pool.connectionGoingAway(id)
        case 3: action = pool.http2SettingsChanged(id, maximumStreams: 10)
        default: action = pool.idleTimeoutFired(id, now: passTime(clock))
        }
        try check(action.isEmpty, "late event for \(id) answered \(action)")
    }
}
