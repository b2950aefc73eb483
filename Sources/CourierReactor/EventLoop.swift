import CourierCore
import CCourierSystem
import Synchronization
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// One thread running an epoll loop: it runs submitted work and Swift jobs, fires timers, and dispatches
/// socket readiness to the connections registered on it.
///
/// Theory of operation. Each iteration runs the jobs queued so far (local ones without a lock, remote ones
/// taken from a mutex-guarded queue in one swap), fires due timers, flushes the connections that wrote during
/// the iteration (one `writev` each), then blocks in `epoll_wait` until a socket is ready, a timer is due, or
/// another thread wakes it through an eventfd (written at most once per wake-up). When its connections have
/// just sent all they had, it first polls for the answer for a short, learnt while (`IdlePollWindow`). The
/// loop is also a Swift `SerialExecutor` and `TaskExecutor`, so actors and tasks bound to a connection's loop
/// run on its thread and continuations resumed there cost no thread hop.
public final class EventLoop: @unchecked Sendable {
    // Sendable proof: the properties under "thread-safe" are `let`s of thread-safe types (Mutex, Atomic, the
    // selector whose only cross-thread call is the eventfd write). Every other stored property is read and
    // written only on this loop's thread: each access is inside a method that is either private and reached
    // from the loop thread's run function, or internal and preconditioned with `assertInEventLoop()`.

    /// Queued work. Sendable proof: values that cross threads (through `remoteQueue`) are created only by
    /// `execute(_:)`, whose closure parameter is `@Sendable`, or wrap an `UnownedJob`; closures that are not
    /// Sendable enter only `localQueue`, which the loop thread alone touches.
    enum Work: @unchecked Sendable {
        /// A task's job that prefers this loop as its task executor (nonisolated code).
        case job(UnownedJob)
        /// A job isolated to an actor whose executor is `serialExecutor`.
        case serialJob(UnownedJob)
        case closure(() -> Void)
    }

    // MARK: thread-safe
    private let remoteQueue = Locked<[Work]>([])
    private let wakeupPending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let exited = Atomic<Bool>(false)
    private let timerIDs = Atomic<UInt64>(1)
    private let selector: Selector
    /// A readable name, e.g. `courier-loop-0`.
    public let name: String
    /// This loop as the serial executor of actors (`nonisolated var unownedExecutor: UnownedSerialExecutor {
    /// loop.serialExecutor.asUnownedSerialExecutor() }`): their methods run on the loop thread.
    public let serialExecutor: EventLoopSerialExecutor
    private var thread = pthread_t()

    // MARK: loop thread only
    // The queues below skip Swift's run-time exclusivity checks (~100 instructions per access, several per
    // loop iteration). Sound because only the loop thread touches them and every access is instantaneous:
    // appends, swaps, emptiness tests and `removeAll`; work runs from a copy of `runningQueue` or
    // `flushingNow`, never inside an access, and releasing work (which may run deinitializers that enqueue
    // more) touches only the other queues. `timers` keeps its checks: dropping a cancelled timer releases
    // its closure inside a mutation of the queue, and a deinitializer there could cancel another timer.
    @exclusivity(unchecked) private var localQueue: [Work] = []
    @exclusivity(unchecked) private var runningQueue: [Work] = []
    @exclusivity(unchecked) private var spareRemote: [Work] = []
    private var timers = TimerQueue()
    private var idlePoll: IdlePollWindow
    /// Whether a connection sent all it had since the loop last waited: only then is an answer likely soon
    /// enough to poll for (a download that only receives gains nothing from polling and would pay for it).
    @exclusivity(unchecked) private var drainedOutputSinceWait = false
    private var registrations: [Registration?] = []
    private var nextRegistrationID: UInt32 = 1
    @exclusivity(unchecked) private var pendingFlushes: [any LoopFlushable] = []
    /// The batch being flushed; swapped with `pendingFlushes` so neither array is reallocated per iteration.
    @exclusivity(unchecked) private var flushingNow: [any LoopFlushable] = []

    struct Registration {
        let id: UInt32
        let handler: any SelectableHandler
    }

    /// The longest a loop polls for readiness before it sleeps, by default: replies from a nearby peer
    /// usually come sooner, and waking a sleeping thread (on a virtual machine, a halted CPU) costs more than
    /// the request. The loop polls only while its recent waits were that short; see `IdlePollWindow`.
    public static let defaultIdlePollLimit: Duration = .microseconds(200)

    /// Creates a loop and starts its thread. `idlePollLimit` caps how long it polls before sleeping (zero:
    /// it always sleeps at once, spending no CPU on polling).
    public init(name: String = "courier-loop", idlePollLimit: Duration = EventLoop.defaultIdlePollLimit) throws(ReactorError) {
        precondition(idlePollLimit >= .zero, "the idle-poll limit cannot be negative")
        self.name = name
        idlePoll = IdlePollWindow(maximum: UInt64(idlePollLimit.nanosecondsClamped))
        selector = try Selector()
        serialExecutor = EventLoopSerialExecutor()
        serialExecutor.loop = self
        let box = Unmanaged.passRetained(self)
        let status = courier_thread_create(&thread, 0, { context in
            let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        if status != 0 {
            box.release()
            throw ReactorError(errno: status, context: "pthread_create(\(name))")
        }
    }

    /// Whether the calling thread is this loop's thread.
    @inlinable
    public var inEventLoop: Bool {
        courier_current_loop() == Unmanaged.passUnretained(self).toOpaque()
    }

    /// Traps unless called on this loop's thread (a programming error, never caused by the network).
    @inlinable
    public func assertInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inEventLoop, "must be called on \(name)", file: file, line: line)
    }

    /// The loop the calling thread runs, if any.
    public static var current: EventLoop? {
        guard let pointer = courier_current_loop() else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(pointer).takeUnretainedValue()
    }

    // MARK: - Submitting work

    /// Runs `work` on the loop thread soon (later in this iteration if already on it). Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        enqueue(.closure(work))
    }

    /// Runs `work` on the loop thread; only for callers already on it (the closure need not be Sendable).
    public func executeLocal(_ work: @escaping () -> Void) {
        assertInEventLoop()
        localQueue.append(.closure(work))
    }

    /// Runs `body` on the loop and returns its result to the awaiting caller.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        if inEventLoop { return try body() }
        return try await withCheckedThrowingContinuation { continuation in
            execute { continuation.resume(with: Result { try body() }) }
        }
    }

    func enqueue(_ work: Work) {
        if inEventLoop {
            localQueue.append(work)
            return
        }
        if exited.load(ordering: .acquiring) {
            runAfterExit(work)
            return
        }
        remoteQueue.withLock { $0.append(work) }
        if !wakeupPending.exchange(true, ordering: .acquiringAndReleasing) {
            selector.wakeUp()
        }
        // The loop may have exited between the check above and the append: hand anything left over
        // to the fallback so no job is stranded.
        if exited.load(ordering: .acquiring) { drainRemoteAfterExit() }
    }

    // MARK: - Timers

    /// Runs `work` on the loop at `deadline` (monotonic time) unless cancelled first. Safe from any thread.
    @discardableResult
    public func schedule(at deadline: Timestamp, _ work: @escaping @Sendable () -> Void) -> ScheduledTask {
        let id = timerIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        if inEventLoop {
            timers.schedule(id: id, at: deadline, work)
        } else {
            execute { [self] in timers.schedule(id: id, at: deadline, work) }
        }
        return ScheduledTask(loop: self, id: id)
    }

    /// Runs `work` on the loop after `delay` unless cancelled first. Safe from any thread.
    @discardableResult
    public func schedule(after delay: Duration, _ work: @escaping @Sendable () -> Void) -> ScheduledTask {
        schedule(at: SystemClock.now() + delay, work)
    }

    /// Schedules loop-confined work (no Sendable requirement); only on the loop thread.
    public func scheduleLocal(at deadline: Timestamp, _ work: @escaping () -> Void) -> ScheduledTask {
        assertInEventLoop()
        let id = timerIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        timers.schedule(id: id, at: deadline, work)
        return ScheduledTask(loop: self, id: id)
    }

    func cancelTimer(_ id: UInt64) {
        if inEventLoop {
            timers.cancel(id)
        } else {
            execute { [self] in timers.cancel(id) }
        }
    }

    /// The number of pending timers (loop thread only; for tests and diagnostics).
    var pendingTimerCount: Int {
        assertInEventLoop()
        return timers.count
    }

    // MARK: - Registrations (loop thread only)

    func register(fd: Int32, interest: SelectorInterest, handler: any SelectableHandler) throws(ReactorError) -> UInt32 {
        assertInEventLoop()
        guard !stopRequested.load(ordering: .relaxed) else {
            throw ReactorError(.loopShutDown, context: "register fd \(fd) on \(name)")
        }
        let id = nextRegistrationID
        nextRegistrationID = nextRegistrationID == UInt32.max ? 1 : nextRegistrationID + 1
        try selector.register(fd: fd, id: id, interest: interest)
        let index = Int(fd)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index - registrations.count + 1))
        }
        registrations[index] = Registration(id: id, handler: handler)
        return id
    }

    func reregister(fd: Int32, id: UInt32, interest: SelectorInterest) throws(ReactorError) {
        assertInEventLoop()
        try selector.reregister(fd: fd, id: id, interest: interest)
    }

    func deregister(fd: Int32, id: UInt32) {
        assertInEventLoop()
        let index = Int(fd)
        guard index < registrations.count, registrations[index]?.id == id else { return }
        selector.deregister(fd: fd)
        registrations[index] = nil
    }

    /// Asks the loop to call `target.flushNow()` once the current batch of work is done, so that many small
    /// writes in one iteration leave in one system call. Loop thread only.
    public func flushAtEndOfIteration(_ target: any LoopFlushable) {
        assertInEventLoop()
        pendingFlushes.append(target)
    }

    /// The selector's own descriptors (for leak checks in tests).
    var selectorDescriptors: (epoll: Int32, wakeup: Int32) { (selector.epollFD, selector.wakeupFD) }

    /// The number of live registrations (loop thread only; for tests and diagnostics).
    var registrationCount: Int {
        assertInEventLoop()
        return registrations.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
    }

    // MARK: - Shutdown

    /// Stops the loop: registered connections are closed with `loopShutDown`, queued work runs, and the thread
    /// exits. Blocks until then; must not be called on the loop itself.
    public func syncShutdown() {
        precondition(!inEventLoop, "cannot shut an event loop down from its own thread")
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            selector.wakeUp()
            pthread_join(thread, nil)
        }
    }

    // MARK: - The loop

    private func run() {
        courier_set_thread_name(name)
        courier_set_current_loop(Unmanaged.passUnretained(self).toOpaque())
        defer { courier_set_current_loop(nil) }
        while !stopRequested.load(ordering: .acquiring) {
            runQueuedWork()
            fireDueTimers()
            flushPending()
            do {
                let count = try waitForEvents(timeoutMilliseconds: nextTimeout())
                if selector.dispatch(count, { event in dispatch(event) }) {
                    wakeupPending.store(false, ordering: .releasing)
                }
            } catch {
                // epoll_wait fails only for reasons that cannot recover (EBADF, EINVAL): stop the loop.
                break
            }
        }
        closeEverything()
    }

    /// Waits for readiness: at once when work is queued; after a connection sent everything it had, polls
    /// for up to the idle-poll window (yielding the CPU between looks) before blocking, and teaches the window
    /// how long the wait was; otherwise blocks.
    private func waitForEvents(timeoutMilliseconds timeout: Int32) throws(ReactorError) -> Int {
        guard timeout != 0 else { return try selector.collect(timeoutMilliseconds: 0) }
        let awaitingAnswer = drainedOutputSinceWait
        drainedOutputSinceWait = false
        guard awaitingAnswer, idlePoll.isEnabled else { return try selector.collect(timeoutMilliseconds: timeout) }
        let start = SystemClock.now().nanoseconds
        // Never poll past the next timer's deadline.
        let window = timeout < 0 ? idlePoll.current : min(idlePoll.current, UInt64(timeout) &* 1_000_000)
        if window > 0 {
            var looked = start
            while true {
                let count = try selector.collect(timeoutMilliseconds: 0)
                if count > 0 { return count }
                sched_yield()
                let now = SystemClock.now().nanoseconds
                // A look that took this long means another thread had the CPU: with more runnable threads
                // than CPUs, polling takes time from them; sleep instead.
                if now &- start >= window || now &- looked > Self.contendedLook { break }
                looked = now
            }
        }
        let count = try selector.collect(timeoutMilliseconds: timeout)
        idlePoll.recordBlocked(idleFor: SystemClock.now().nanoseconds &- start)
        return count
    }

    /// A look at the selector while polling takes about a microsecond; one that takes longer than this was
    /// interrupted by another thread running on this CPU.
    private static let contendedLook: UInt64 = 20_000

    /// Called by a connection whose queued output all went out.
    @inline(__always)
    func noteOutputDrained() {
        assertInEventLoop()
        drainedOutputSinceWait = true
    }

    private func runQueuedWork() {
        // Bounded rounds so a job that keeps re-enqueueing itself cannot starve I/O.
        for _ in 0..<8 {
            remoteQueue.withLock { remote in
                guard !remote.isEmpty else { return }
                swap(&remote, &spareRemote)
            }
            if !spareRemote.isEmpty {
                localQueue.append(contentsOf: spareRemote)
                spareRemote.removeAll(keepingCapacity: true)
            }
            if localQueue.isEmpty { return }
            swap(&localQueue, &runningQueue)
            for work in runningQueue { perform(work) }
            runningQueue.clearKeepingCapacity()
        }
    }

    @inline(__always)
    private func perform(_ work: Work) {
        switch work {
        case .job(let job):
            // Run as "generic executor + this task executor": nonisolated async code, and continuations
            // resumed here, then continue inline instead of hopping through the queue again.
            job.runSynchronously(on: asUnownedTaskExecutor())
        case .serialJob(let job):
            job.runSynchronously(isolatedTo: serialExecutor.asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        case .closure(let body):
            body()
        }
    }

    private func fireDueTimers() {
        guard timers.count > 0 else { return }
        let now = SystemClock.now()
        while let work = timers.popDue(now: now) { work() }
    }

    private func flushPending() {
        while !pendingFlushes.isEmpty {
            swap(&pendingFlushes, &flushingNow)
            for target in flushingNow { target.flushNow() }
            flushingNow.removeAll(keepingCapacity: true)
        }
    }

    private func nextTimeout() -> Int32 {
        if !localQueue.isEmpty || !pendingFlushes.isEmpty { return 0 }
        if remoteQueue.withLock({ !$0.isEmpty }) { return 0 }
        guard let deadline = timers.nextDeadline() else { return -1 }
        let now = SystemClock.now()
        guard deadline > now else { return 0 }
        let nanoseconds = deadline.nanoseconds - now.nanoseconds
        // Round up so a timer never fires early.
        return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
    }

    private func dispatch(_ event: SelectorEvent) {
        let index = Int(event.fd)
        guard index < registrations.count, let registration = registrations[index],
              registration.id == event.registrationID else { return }
        registration.handler.selectorEvent(event)
    }

    private func closeEverything() {
        // Connections first: their close paths resume waiting tasks with errors, which queue jobs here.
        for _ in 0..<4 {
            for registration in registrations.compactMap({ $0 }) { registration.handler.loopShuttingDown() }
            flushPending()
            runQueuedWork()
            if registrations.allSatisfy({ $0 == nil }) { break }
        }
        timers.removeAll()
        exited.store(true, ordering: .releasing)
        runQueuedWork()
        drainRemoteAfterExit()
        selector.close()
    }

    private func drainRemoteAfterExit() {
        let leftover = remoteQueue.withLock { queue -> [Work] in
            defer { queue.removeAll() }
            return queue
        }
        for work in leftover { runAfterExit(work) }
    }

    /// Work that arrives after the loop exited still runs, serially, on a fallback queue that poses as this
    /// loop (so loop-confined code keeps its guarantees), and no task waiting on this loop is stranded;
    /// socket work there fails with `loopShutDown` since nothing can be registered any more.
    private static let fallback = DispatchQueue(label: "courier.loop-fallback")

    private func runAfterExit(_ work: Work) {
        Self.fallback.async { [self] in
            courier_set_current_loop(Unmanaged.passUnretained(self).toOpaque())
            defer { courier_set_current_loop(nil) }
            perform(work)
            while !localQueue.isEmpty {
                swap(&localQueue, &runningQueue)
                for queued in runningQueue { perform(queued) }
                runningQueue.clearKeepingCapacity()
            }
        }
    }
}

/// An object registered with the selector; receives readiness events on the loop thread.
protocol SelectableHandler: AnyObject {
    /// A readiness event for the handler's descriptor.
    func selectorEvent(_ event: SelectorEvent)
    /// The loop is shutting down: close, failing whatever is pending with `loopShutDown`.
    func loopShuttingDown()
}

/// Something that buffers writes and wants one flush per loop iteration.
public protocol LoopFlushable: AnyObject {
    /// Writes what was queued since the last flush.
    func flushNow()
}
