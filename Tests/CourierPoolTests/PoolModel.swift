// A model driver for `ConnectionPoolStateMachine`: it plays the driver's part (connections, timers, callers)
// with its own bookkeeping and throws `ModelViolation` on any action the pool is not allowed to ask for.
// Shared by the randomized tests and the fuzz harness (Fuzz/Sources/FuzzPoolStateMachine links to it), so it
// uses neither Testing nor Foundation.
import CourierCore
import CourierPool

/// An illegal action or a broken invariant, with the recent events that led to it.
struct ModelViolation: Error, CustomStringConvertible {
    let message: String
    let trace: [String]

    var description: String { "\(message)\nrecent events:\n  " + trace.joined(separator: "\n  ") }
}

struct PoolModel {
    /// What the simulated origin does with new connections.
    enum Server: CaseIterable { case http1, http2, mixed, flaky }
    enum Origin { case unknown, http1, http2 }

    /// A connection as the driver sees it.
    struct Connection {
        var loop: LoopID?
        var established = false
        var isHTTP2 = false
        var maximumStreams = 0
        var running: Set<RequestID> = []
        var goingAway = false
        var establishedAt = Timestamp.zero
        /// The deadline of the armed idle timer.
        var idleDeadline: Timestamp?

        var isIdle: Bool { established && running.isEmpty }
    }

    /// A request the pool or a connection still holds.
    enum RequestState: Equatable { case waiting, executing(ConnectionID) }
    /// How a request ended; each request gets exactly one.
    enum Outcome: Equatable { case executed, failed(PoolError.Code), cancelled }

    /// Which failures and timer actions the event being applied may produce.
    enum Event: Equatable {
        case submit(RequestID, queueFull: Bool)
        case acquireTimeout(RequestID)
        case connectionFailed
        case backoffFinished
        case other
    }

    let configuration: ConnectionPoolConfiguration
    let server: Server
    var pool: ConnectionPoolStateMachine
    var clock = Timestamp(nanoseconds: 1_000_000_000)
    /// The latest time given to the pool.
    var poolNow = Timestamp.zero
    /// Requests not yet ended (ended ones move to `outcomes`, so per-step scans stay short).
    var requests: [RequestID: RequestState] = [:]
    var outcomes: [RequestID: Outcome] = [:]
    /// The count of failed attempts when each waiting request arrived.
    var failureMarks: [RequestID: Int] = [:]
    var consecutiveFailures = 0
    var totalFailures = 0
    var acquireTimers: [RequestID: Timestamp] = [:]
    var staleAcquireTimers: [RequestID] = []
    var connections: [ConnectionID: Connection] = [:]
    var closedConnections: [ConnectionID] = []
    var staleIdleTimers: [(ConnectionID, Timestamp)] = []
    var backoffDeadline: Timestamp?
    var nextRequest: UInt64 = 0
    var nextConnection: UInt64 = 0
    var origin: Origin
    var shutdownRequested = false
    var shutdownCompleted = false
    var tracing = false
    var trace: [String] = []
    var steps = 0

    init(configuration: ConnectionPoolConfiguration, server: Server, tracing: Bool = false) {
        self.tracing = tracing
        pool = ConnectionPoolStateMachine(configuration: configuration)
        self.configuration = pool.configuration
        self.server = server
        switch configuration.preferredProtocol {
        case .automatic: origin = .unknown
        case .http1Only: origin = .http1
        case .http2PriorKnowledge: origin = .http2
        }
    }

    var waitingCount: Int { requests.values.count { $0 == .waiting } }

    func violation(_ message: String) -> ModelViolation { ModelViolation(message: message, trace: trace) }

    func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(ModelViolation) {
        if !condition { throw violation(message()) }
    }

    /// Adds to the trace of recent events when `tracing` (formatting every event would slow the fuzzer
    /// tenfold; a failing sequence is replayed with tracing on to explain itself).
    mutating func record(_ event: @autoclosure () -> String) {
        steps += 1
        guard tracing else { return }
        trace.append("[\(steps)] t=\(clock.nanoseconds / 1_000_000)ms \(event())")
        if trace.count > 60 { trace.removeFirst(trace.count - 40) }
    }

    /// The time to pass to the pool for an event happening at `time`.
    mutating func passTime(_ time: Timestamp) -> Timestamp {
        poolNow = max(poolNow, time)
        return time
    }

    /// Whether the pool must consider the connection too old to take work.
    func isTooOld(_ connection: Connection) -> Bool {
        guard let limit = configuration.maximumConnectionAge, connection.established else { return false }
        return poolNow.elapsed(since: connection.establishedAt) >= limit
    }

    // MARK: Applying actions

    mutating func apply(_ action: ConnectionPoolStateMachine.Action, for event: Event) throws(ModelViolation) {
        if !action.isEmpty { record("  -> \(action)") }
        for request in action.requests { try apply(request, for: event) }
        for connection in action.connections { try apply(connection, for: event) }
        try checkInvariants()
    }

    private mutating func apply(
        _ action: ConnectionPoolStateMachine.RequestAction, for event: Event
    ) throws(ModelViolation) {
        switch action {
        case .execute(let id, let connectionID):
            try check(requests[id] == .waiting, "execute \(id), which is \(String(describing: requests[id]))")
            guard var connection = connections[connectionID] else {
                throw violation("execute \(id) on \(connectionID), which is not open")
            }
            try check(connection.established, "execute \(id) on \(connectionID), which is not established")
            try check(!connection.goingAway, "execute \(id) on \(connectionID), which is going away")
            try check(!isTooOld(connection), "execute \(id) on \(connectionID), which is too old")
            let capacity = connection.isHTTP2 ? connection.maximumStreams : 1
            try check(connection.running.count < capacity, "execute \(id) on \(connectionID), which is full")
            connection.running.insert(id)
            connections[connectionID] = connection
            requests[id] = .executing(connectionID)
        case .fail(let id, let error):
            try check(requests[id] == .waiting, "fail \(id), which is \(String(describing: requests[id]))")
            switch error.code {
            case .tooManyPendingRequests:
                try check(event == .submit(id, queueFull: true), "\(id) failed as too many pending on \(event)")
            case .acquireTimeout:
                try check(event == .acquireTimeout(id), "\(id) failed with acquireTimeout on \(event)")
            case .shutdown:
                try check(shutdownRequested, "\(id) failed with shutdown before shutdown")
            case .connectFailed:
                try check(event == .connectionFailed, "\(id) failed with connectFailed on \(event)")
                try check(failuresSeen(id) >= configuration.failFastAfterFailures,
                          "\(id) failed after \(failuresSeen(id)) failed attempts")
                try check(countedTowardsLimit(includingTooOld: false) == 0,
                          "\(id) failed with connectFailed while other connections are open")
            default:
                throw violation("\(id) failed with unexpected \(error)")
            }
            conclude(id, .failed(error.code))
        case .scheduleAcquireTimeout(let id, let deadline):
            try check(event == .submit(id, queueFull: false), "acquire timer for \(id) on \(event)")
            try check(requests[id] == .waiting && acquireTimers[id] == nil, "acquire timer for \(id) twice")
            let expected = configuration.acquireTimeout.map { poolNow + $0 }
            try check(deadline == expected, "acquire deadline \(deadline) for \(id) at \(poolNow)")
            acquireTimers[id] = deadline
        case .cancelAcquireTimeout(let id):
            try check(acquireTimers.removeValue(forKey: id) != nil, "cancel acquire timer of \(id), which has none")
            staleAcquireTimers.append(id)
        }
    }

    private mutating func apply(
        _ action: ConnectionPoolStateMachine.ConnectionAction, for event: Event
    ) throws(ModelViolation) {
        switch action {
        case .create(let id, let loop):
            try check(id == ConnectionID(nextConnection), "created \(id), expected c\(nextConnection)")
            try check(!shutdownRequested, "created \(id) after shutdown")
            try check(backoffDeadline == nil, "created \(id) during backoff")
            try check(waitingCount > 0, "created \(id) with no request waiting")
            nextConnection += 1
            connections[id] = Connection(loop: loop)
            let counted = countedTowardsLimit(includingTooOld: false)
            try check(counted <= limit, "created \(id): \(counted) connections for limit \(limit) (\(origin))")
            if origin != .http1 {
                try check(startingCount == 1, "two connections starting at once for \(origin) origin")
            }
        case .close(let id):
            guard let connection = connections.removeValue(forKey: id) else {
                throw violation("close \(id), which is not open")
            }
            try check(connection.established, "close \(id), which is still starting")
            try check(connection.running.isEmpty, "close \(id), which runs \(connection.running.sorted())")
            if let deadline = connection.idleDeadline { staleIdleTimers.append((id, deadline)) }
            remember(closed: id)
        case .scheduleIdleTimeout(let id, let deadline):
            guard var connection = connections[id] else { throw violation("idle timer for \(id), which is not open") }
            try check(connection.isIdle, "idle timer for \(id), which is not idle")
            try check(!shutdownRequested, "idle timer for \(id) during shutdown")
            let fresh = connection.idleDeadline == nil && deadline == poolNow + configuration.idleTimeout
            try check(fresh || connection.idleDeadline == deadline, "idle deadline \(deadline) for \(id) at \(poolNow)")
            connection.idleDeadline = deadline
            connections[id] = connection
        case .cancelIdleTimeout(let id):
            guard let deadline = connections[id]?.idleDeadline else {
                throw violation("cancel idle timer of \(id), which has none")
            }
            connections[id]?.idleDeadline = nil
            staleIdleTimers.append((id, deadline))
        case .scheduleBackoff(let deadline):
            try check(event == .connectionFailed || event == .backoffFinished, "backoff scheduled on \(event)")
            try check(deadline >= poolNow, "backoff deadline \(deadline) in the past")
            backoffDeadline = deadline
        case .shutdownComplete:
            try check(shutdownRequested && !shutdownCompleted, "shutdownComplete without shutdown, or twice")
            try check(connections.isEmpty, "shutdownComplete with open connections \(connections.keys.sorted())")
            shutdownCompleted = true
        }
    }

    /// How many failed attempts in a row the waiting request has seen.
    func failuresSeen(_ id: RequestID) -> Int {
        min(consecutiveFailures, totalFailures - (failureMarks[id] ?? totalFailures))
    }

    /// Records how a request ended; it must not have ended before.
    mutating func conclude(_ id: RequestID, _ outcome: Outcome) {
        precondition(outcomes[id] == nil, "the model concluded \(id) twice")
        requests[id] = nil
        failureMarks[id] = nil
        outcomes[id] = outcome
    }

    mutating func remember(closed id: ConnectionID) {
        closedConnections.append(id)
        if closedConnections.count > 8 { closedConnections.removeFirst() }
    }
}
