/// The loop as a Swift executor: an actor whose `unownedExecutor` is a loop, or a task started with
/// `Task(executorPreference: loop)`, runs its jobs on the loop thread. Jobs enqueued from the loop thread
/// itself (a continuation resumed by a socket event, say) take no lock and no wake-up.
extension EventLoop: SerialExecutor, TaskExecutor {
    /// Queues a job to run on the loop thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueue(.job(UnownedJob(job)))
    }

    /// This loop as the executor of an actor.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// This loop as a task executor preference.
    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Traps unless running on the loop thread (backs `assumeIsolated`).
    public func checkIsolated() {
        precondition(inEventLoop, "not on \(name)")
    }

    /// Whether two executors are the same loop.
    public func isSameExclusiveExecutionContext(other: EventLoop) -> Bool {
        self === other
    }
}
