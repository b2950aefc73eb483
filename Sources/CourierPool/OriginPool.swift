import CourierCore
import CourierReactor
import CourierTransport

/// The connections to one origin: applies `ConnectionPoolStateMachine`'s actions (open, hand out, time out,
/// close connections) and hands connections to waiting requests.
///
/// Theory of operation. All pool state lives in one mutex (the state machine, the connections by id, the
/// waiting requests' continuations and the timers). Every event — a request arriving, a connection becoming
/// ready or idle or closing, a timer — takes the lock, feeds the machine, takes out what must be resumed or
/// started, and leaves the lock before doing it, so no continuation is resumed and no connection is touched
/// under the lock (AsyncHTTPClient's discipline). A request whose connection is idle is answered without
/// suspending. Connections report back as their delegate, on their own loops.
public final class OriginPool: ClientConnectionDelegate, @unchecked Sendable {
    // Sendable proof: the only mutable state is inside `state` (a Mutex); the other stored properties are
    // immutable Sendable values.

    /// A connection's idle timer, armed lazily: a connection leased and released again (every request)
    /// only moves `deadline`; the armed task, when it fires early, re-arms for the deadline instead of
    /// having been cancelled and scheduled again each time. Updated with `updateValue`: changing it in
    /// place through the dictionary (`idleTimers[id]?.deadline = nil`) allocated on every call.
    private struct IdleTimer {
        var task: ScheduledTask
        var firesAt: Timestamp
        /// When the pool wants the timeout now; nil while the connection is in use.
        var deadline: Timestamp?
    }

    /// What a waiting request is resumed with.
    typealias Waiter = UnsafeContinuation<Result<any ClientConnection, PoolError>, Never>
    typealias Lease = Result<any ClientConnection, PoolError>

    /// A request the pool has not answered yet: its task is still deciding whether to wait (`pending`, holding
    /// the answer if one came meanwhile), or waits on a continuation.
    enum WaiterSlot {
        case pending(Lease?)
        case waiting(Waiter)
    }

    /// A connection's identity as a table key (connection events name the object, the machine its number),
    /// hashed by address rather than with SipHash: one lookup per event, and the addresses are the process's
    /// own (see `identifierHash`).
    struct ConnectionKey: Hashable {
        let object: ObjectIdentifier

        init(_ connection: any ClientConnection) { object = ObjectIdentifier(connection) }

        func _rawHashValue(seed: Int) -> Int { identifierHash(UInt64(UInt(bitPattern: object)), seed: seed) }
    }

    private struct State {
        var machine: ConnectionPoolStateMachine
        var connections: [ConnectionID: any ClientConnection] = [:]
        var ids: [ConnectionKey: ConnectionID] = [:]
        var waiters: [RequestID: WaiterSlot] = [:]
        /// The request `acquire` is asking the machine about under this lock, and the answer it got: the
        /// common immediate lease needs no entry in `waiters`.
        var arriving: RequestID?
        var arrivingLease: Lease?
        var acquireTimers: [RequestID: ScheduledTask] = [:]
        var deadlineTimers: [RequestID: ScheduledTask] = [:]
        var idleTimers: [ConnectionID: IdleTimer] = [:]
        var backoffTimer: ScheduledTask?
        var nextRequest: UInt64 = 1
        var shutdownWaiters: [UnsafeContinuation<Void, Never>] = []
        var shutdownComplete = false
        var statisticsSequence: UInt64 = 0
        /// Connections holding a slot of the client-wide budget (opening or open).
        var budgetHolders: Set<ConnectionID> = []
        var evictorToken: UInt64?
    }

    /// Hears the pool's occupancy after every change, for metrics: the origin, a sequence number (a snapshot
    /// arriving after one with a larger number is stale: drop it) and the snapshot. Runs on any thread.
    public typealias StatisticsObserver = @Sendable (Origin, UInt64, PoolStatistics) -> Void

    /// The origin this pool serves.
    public let origin: Origin
    private let factory: ClientConnectionFactory
    private let group: EventLoopGroup
    private let clock: any MonotonicClock
    private let state: Locked<State>
    private let statisticsObserver: StatisticsObserver?
    private let budget: ConnectionBudget?

    /// Creates an empty pool; connections open on demand. `statisticsObserver` (nil: none, no cost) hears
    /// every change of occupancy; `budget` (nil: none) is the client-wide connection limit it shares.
    public init(origin: Origin, configuration: ConnectionPoolConfiguration, factory: ClientConnectionFactory,
                group: EventLoopGroup, clock: any MonotonicClock = SystemClock(),
                statisticsObserver: StatisticsObserver? = nil, budget: ConnectionBudget? = nil) {
        self.origin = origin
        self.factory = factory
        self.group = group
        self.clock = clock
        self.statisticsObserver = statisticsObserver
        state = Locked(State(machine: ConnectionPoolStateMachine(configuration: configuration)))
        self.budget = budget?.limit == nil ? nil : budget
        if let budget = self.budget {
            let pool = WeakPool(self)
            let token = budget.register(evict: { pool.pool?.evictIdleConnection() ?? false },
                                        needs: { pool.pool?.hasWaitingRequests ?? false })
            state.withLock { $0.evictorToken = token }
        }
    }

    deinit {
        if let token = state.withLock({ $0.evictorToken }) { budget?.unregister(token) }
    }

    private var hasWaitingRequests: Bool { state.withLock { $0.machine.hasWaitingRequests } }

    /// Closes this pool's longest-idle connection for another origin waiting for a slot; false if none is idle.
    func evictIdleConnection() -> Bool {
        let now = clock.now()
        let (work, evicted) = state.withLock { state -> (Work, Bool) in
            let work = takeWork(state.machine.evictIdleConnection(now: now), &state)
            return (work, !work.closes.isEmpty)
        }
        perform(work)
        return evicted
    }

    /// The pool's current occupancy.
    public var statistics: PoolStatistics { state.withLock { $0.machine.statistics } }

    // MARK: - Requests

    /// A connection ready for one exchange (HTTP/1.1) or one more stream (HTTP/2), preferably on `loop`.
    /// Report the end through the connection's delegate events (the exchange does that), or call
    /// `releaseUnused(_:)` if no exchange was started on it.
    /// A request still waiting at `deadline` (if given) fails with `acquireTimeout`, whatever the pool's own
    /// acquire timeout; the timer is set only if the request has to wait.
    public nonisolated(nonsending) func acquire(preferredLoop loop: EventLoop?, deadline: Timestamp? = nil) async throws(PoolError) -> any ClientConnection {
        let loopID = loop.flatMap(loopID(of:))
        // Asked under the lock before any suspension: when an idle connection is free the answer comes at
        // once, and the request needs neither a continuation nor a cancellation handler.
        let now = clock.now()
        let (requestID, work, immediate) = state.withLock { state -> (RequestID, Work, Lease?) in
            let requestID = RequestID(state.nextRequest)
            state.nextRequest += 1
            state.arriving = requestID
            let work = takeWork(state.machine.executeRequest(requestID, preferredLoop: loopID, now: now), &state)
            state.arriving = nil
            if let lease = state.arrivingLease {
                state.arrivingLease = nil
                return (requestID, work, lease)
            }
            state.waiters[requestID] = .pending(nil)
            if let deadline {
                state.deadlineTimers[requestID] = (loop ?? group.loops[0]).schedule(at: deadline) { [self] in
                    deadlinePassed(requestID)
                }
            }
            return (requestID, work, nil)
        }
        perform(work)
        if let immediate { return try immediate.get() }
        let result: Lease = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Waiter) in
                let answered = state.withLock { state -> Lease? in
                    guard case .pending(let lease)? = state.waiters[requestID] else {
                        assertionFailure("a waiting request lost its slot")
                        return .failure(PoolError.cancelled)
                    }
                    if let lease {
                        state.waiters[requestID] = nil
                        return lease
                    }
                    state.waiters[requestID] = .waiting(continuation)
                    return nil
                }
                if let answered { continuation.resume(returning: answered) }
            }
        } onCancel: {
            let work = state.withLock { state -> Work in
                var work = takeWork(state.machine.cancelRequest(requestID), &state)
                answer(requestID, .failure(PoolError.cancelled), &state, &work)
                if let timer = state.deadlineTimers.removeValue(forKey: requestID) { work.cancelTimers.append(timer) }
                return work
            }
            perform(work)
        }
        if deadline != nil, let timer = state.withLock({ $0.deadlineTimers.removeValue(forKey: requestID) }) {
            timer.cancel()
        }
        return try result.get()
    }

    /// A waiting request's own deadline passed: it leaves the queue and fails with `acquireTimeout`.
    private func deadlinePassed(_ requestID: RequestID) {
        let work = state.withLock { state -> Work in
            state.deadlineTimers[requestID] = nil
            switch state.waiters[requestID] {
            case .waiting?, .pending(nil)?: break
            case .pending(_?)?, nil: return Work()  // answered already
            }
            var work = takeWork(state.machine.cancelRequest(requestID), &state)
            answer(requestID, .failure(PoolError.acquireTimeout()), &state, &work)
            return work
        }
        perform(work)
    }

    /// Returns a connection on which no exchange was started (the request failed before sending anything).
    public func releaseUnused(_ connection: any ClientConnection) {
        event(connection) { machine, id, now in machine.requestFinished(on: id, reusable: true, now: now) }
    }

    /// Fails waiting requests, closes idle connections and, once the busy ones finish, the rest.
    public func shutdown() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let work = state.withLock { state -> Work in
                if state.shutdownComplete {
                    var work = Work()
                    work.shutdownResumes.append(continuation)
                    return work
                }
                state.shutdownWaiters.append(continuation)
                return takeWork(state.machine.shutdown(), &state)
            }
            perform(work)
        }
    }

    // MARK: - Connection events (ClientConnectionDelegate, on the connection's loop)

    public func connection(_ connection: any ClientConnection, finishedExchangeReusable reusable: Bool) {
        event(connection) { machine, id, now in machine.requestFinished(on: id, reusable: reusable, now: now) }
    }

    public func connection(_ connection: any ClientConnection, maximumStreamsChanged maximum: Int) {
        event(connection) { machine, id, _ in machine.http2SettingsChanged(id, maximumStreams: maximum) }
    }

    public func connectionGoingAway(_ connection: any ClientConnection) {
        event(connection) { machine, id, _ in machine.connectionGoingAway(id) }
    }

    public func connectionClosed(_ connection: any ClientConnection) {
        let now = clock.now()
        let work = state.withLock { state -> Work in
            guard let id = state.ids.removeValue(forKey: ConnectionKey(connection)) else { return Work() }
            state.connections[id] = nil
            var work = takeWork(state.machine.connectionClosed(id, now: now), &state)
            if state.budgetHolders.remove(id) != nil { work.budgetSlotsGiven += 1 }
            if let timer = state.idleTimers.removeValue(forKey: id) { work.cancelTimers.append(timer.task) }
            return work
        }
        perform(work)
    }

    private func event(_ connection: any ClientConnection,
                       _ body: (inout ConnectionPoolStateMachine, ConnectionID, Timestamp) -> ConnectionPoolStateMachine.Action) {
        let now = clock.now()
        let work = state.withLock { state -> Work in
            guard let id = state.ids[ConnectionKey(connection)] else { return Work() }
            return takeWork(body(&state.machine, id, now), &state)
        }
        perform(work)
    }

    // MARK: - Applying actions

    /// What to do after leaving the lock.
    struct Work {
        var resumes = InlineList<(Waiter, Result<any ClientConnection, PoolError>)>()
        var creates = InlineList<(ConnectionID, EventLoop)>()
        var closes = InlineList<any ClientConnection>()
        var cancelTimers = InlineList<ScheduledTask>()
        var shutdownResumes = InlineList<UnsafeContinuation<Void, Never>>()
        var budgetSlotsGiven = 0
        /// A connection turned idle: under the client-wide limit it may have to make way for another origin.
        var becameIdle = false
    }

    /// Answers a request: resumes it if it waits, keeps the answer if its task has not decided to wait yet.
    /// The first answer stands (a connection handed out is not taken back by a later cancellation).
    private func answer(_ requestID: RequestID, _ lease: Lease, _ state: inout State, _ work: inout Work) {
        if requestID == state.arriving {
            if state.arrivingLease == nil { state.arrivingLease = lease }
            return
        }
        switch state.waiters[requestID] {
        case .waiting(let waiter)?:
            state.waiters.removeValue(forKey: requestID)
            work.resumes.append((waiter, lease))
        case .pending(nil)?:
            state.waiters.updateValue(.pending(lease), forKey: requestID)
        case .pending?, nil:
            break
        }
    }

    /// Turns an action into work, updating the bookkeeping that must change atomically with the machine.
    private func takeWork(_ action: ConnectionPoolStateMachine.Action, _ state: inout State) -> Work {
        var work = Work()
        for request in action.requests {
            switch request {
            case .execute(let requestID, let connectionID):
                guard requestID == state.arriving || state.waiters[requestID] != nil else { continue }
                guard let connection = state.connections[connectionID] else {
                    // The machine and the table disagree (a bug): fail the request rather than strand it.
                    assertionFailure("the pool handed out connection \(connectionID), which it does not hold")
                    let lost = TransportError(.connectionClosed, "the pool lost the connection it chose", requestNotProcessed: true)
                    answer(requestID, .failure(.connectFailed(lost)), &state, &work)
                    continue
                }
                answer(requestID, .success(connection), &state, &work)
            case .fail(let requestID, let error):
                answer(requestID, .failure(error), &state, &work)
            case .scheduleAcquireTimeout(let requestID, let deadline):
                if let old = state.acquireTimers[requestID] { work.cancelTimers.append(old) }
                state.acquireTimers[requestID] = group.loops[0].schedule(at: deadline) { [self] in
                    let now = clock.now()
                    perform(self.state.withLock { state in
                        state.acquireTimers[requestID] = nil
                        return takeWork(state.machine.acquireTimeoutFired(requestID, now: now), &state)
                    })
                }
            case .cancelAcquireTimeout(let requestID):
                if let timer = state.acquireTimers.removeValue(forKey: requestID) { work.cancelTimers.append(timer) }
            }
        }
        for connectionAction in action.connections {
            switch connectionAction {
            case .create(let id, let loopID):
                work.creates.append((id, loopID.map { group.loops[$0.rawValue % group.loops.count] } ?? group.next()))
            case .close(let id):
                if state.budgetHolders.remove(id) != nil { work.budgetSlotsGiven += 1 }
                if let connection = state.connections.removeValue(forKey: id) {
                    state.ids[ConnectionKey(connection)] = nil
                    work.closes.append(connection)
                }
                if let timer = state.idleTimers.removeValue(forKey: id) { work.cancelTimers.append(timer.task) }
            case .scheduleIdleTimeout(let id, let deadline):
                guard let connection = state.connections[id] else { continue }
                work.becameIdle = true
                if var timer = state.idleTimers[id] {
                    if timer.firesAt <= deadline {
                        timer.deadline = deadline
                        state.idleTimers.updateValue(timer, forKey: id)
                        continue
                    }
                    work.cancelTimers.append(timer.task)
                }
                state.idleTimers[id] = armIdleTimer(id, on: connection.loop, at: deadline)
            case .cancelIdleTimeout(let id):
                if var timer = state.idleTimers[id] {
                    timer.deadline = nil
                    state.idleTimers.updateValue(timer, forKey: id)
                }
            case .scheduleBackoff(let deadline):
                if let timer = state.backoffTimer { work.cancelTimers.append(timer) }
                state.backoffTimer = group.loops[0].schedule(at: deadline) { [self] in
                    let now = clock.now()
                    perform(self.state.withLock { state in
                        state.backoffTimer = nil
                        return takeWork(state.machine.backoffFinished(now: now), &state)
                    })
                }
            case .shutdownComplete:
                state.shutdownComplete = true
                work.shutdownResumes += state.shutdownWaiters
                state.shutdownWaiters.removeAll()
            }
        }
        return work
    }

    private func armIdleTimer(_ id: ConnectionID, on loop: EventLoop, at time: Timestamp) -> IdleTimer {
        let task = loop.schedule(at: time) { [self] in
            let now = clock.now()
            perform(self.state.withLock { state -> Work in
                guard let timer = state.idleTimers[id], timer.firesAt == time else { return Work() }
                guard let deadline = timer.deadline else {
                    state.idleTimers[id] = nil  // in use: the next release arms it again
                    return Work()
                }
                if deadline > now, let connection = state.connections[id] {
                    state.idleTimers[id] = armIdleTimer(id, on: connection.loop, at: deadline)
                    return Work()
                }
                state.idleTimers[id] = nil
                return takeWork(state.machine.idleTimeoutFired(id, now: now), &state)
            })
        }
        return IdleTimer(task: task, firesAt: time, deadline: time)
    }

    private func perform(_ work: Work) {
        for timer in work.cancelTimers { timer.cancel() }
        if let budget, work.budgetSlotsGiven > 0 {
            let owner = state.withLock { $0.evictorToken } ?? 0
            for _ in 0..<work.budgetSlotsGiven { budget.give(from: owner) }
        }
        for connection in work.closes {
            let loop = connection.loop
            if loop.inEventLoop { connection.close(error: nil) } else { loop.execute { connection.close(error: nil) } }
        }
        for (id, loop) in work.creates { open(id, on: loop) }
        for (waiter, result) in work.resumes { waiter.resume(returning: result) }
        for waiter in work.shutdownResumes { waiter.resume() }
        if work.becameIdle, let budget, budget.anyoneWaits, let owner = state.withLock({ $0.evictorToken }),
           budget.othersNeed(besides: owner) {
            // Another origin waits for a connection slot: an idle connection here gives up its own.
            _ = evictIdleConnection()
        }
        if let statisticsObserver {
            let (sequence, statistics) = state.withLock { state in
                state.statisticsSequence += 1
                return (state.statisticsSequence, state.machine.statistics)
            }
            statisticsObserver(origin, sequence, statistics)
        }
    }

    private func open(_ id: ConnectionID, on loop: EventLoop) {
        let factory = self.factory
        let origin = self.origin
        Task(executorPreference: loop) { [self] in
            if let budget {
                let owner = state.withLock { $0.evictorToken } ?? 0
                let waited = await withUnsafeContinuation { (granted: UnsafeContinuation<Bool, Never>) in
                    if budget.take(for: owner, whenFree: { granted.resume(returning: true) }) { granted.resume(returning: false) }
                }
                let now = clock.now()
                let abandoned = state.withLock { state -> Work? in
                    // After a wait, the requests this attempt was for may have been served by other connections.
                    if waited && !state.machine.hasWaitingRequests {
                        var work = takeWork(state.machine.connectionAbandoned(id, now: now), &state)
                        work.budgetSlotsGiven += 1
                        return work
                    }
                    state.budgetHolders.insert(id)
                    return nil
                }
                if let abandoned {
                    perform(abandoned)
                    return
                }
            }
            do {
                let connection = try await factory.connect(to: origin, on: loop)
                connection.delegate = self
                let now = clock.now()
                let negotiated: ConnectionPoolStateMachine.NegotiatedProtocol =
                    connection.protocolVersion == .http2 ? .http2(maximumStreams: connection.maximumConcurrentStreams) : .http1
                perform(state.withLock { state in
                    state.connections[id] = connection
                    state.ids[ConnectionKey(connection)] = id
                    return takeWork(state.machine.connectionEstablished(id, protocol: negotiated, now: now), &state)
                })
            } catch {
                let now = clock.now()
                perform(state.withLock { state in
                    var work = takeWork(state.machine.connectionFailed(id, error: error, now: now), &state)
                    if state.budgetHolders.remove(id) != nil { work.budgetSlotsGiven += 1 }
                    return work
                })
            }
        }
    }

    private func loopID(of loop: EventLoop) -> LoopID? {
        group.loops.firstIndex { $0 === loop }.map(LoopID.init)
    }
}

/// A weak reference to a pool, for the budget's evictor (the budget must not keep pools alive).
private final class WeakPool: Sendable {
    weak let pool: OriginPool?
    init(_ pool: OriginPool) { self.pool = pool }
}
