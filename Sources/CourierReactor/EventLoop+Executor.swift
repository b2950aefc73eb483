/// The loop as a Swift task executor: a task started with `Task(executorPreference: loop)` (or inside
/// `withTaskExecutorPreference(loop)`) runs its nonisolated code on the loop thread. Jobs enqueued from the
/// loop thread itself (a continuation resumed by a socket event, say) take no lock and no wake-up, and a task
/// resumed on the loop continues inline through further nonisolated calls.
extension EventLoop: TaskExecutor {
    /// Queues a job to run on the loop thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueue(.job(UnownedJob(job)))
    }

    /// This loop as a task executor preference.
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}

/// A loop's serial executor, for actors that should live on the loop thread. Separate from the task
/// executor so that the two kinds of jobs run in their own execution contexts (actor-isolated, or
/// nonisolated with the loop as task executor).
public final class EventLoopSerialExecutor: SerialExecutor, @unchecked Sendable {
    // Sendable proof: `loop` is set once, in the loop's initializer, before the executor is reachable from
    // anywhere else, and never changes.
    unowned(unsafe) var loop: EventLoop!

    init() {}

    /// Queues an actor's job on the loop thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(.serialJob(UnownedJob(job)))
    }

    /// The executor reference actors return from `unownedExecutor`.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Traps unless running on the loop thread (backs `assumeIsolated`).
    public func checkIsolated() {
        precondition(loop.inEventLoop, "not on \(loop.name)")
    }
}
