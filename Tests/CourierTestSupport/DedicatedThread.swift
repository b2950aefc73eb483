import CourierCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs each test it is applied to (every test of a suite, when applied to the suite) on a thread of its
/// own instead of Swift's cooperative pool. For tests that block: on blocking sockets, `usleep` polls or
/// `waitUntilExit`. The cooperative pool has as many threads as cores (two here), so a blocking test
/// would stall every async test of the run for as long as it blocks, and their timeouts would fire.
public struct DedicatedThreadTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard !test.isSuite else { return try await function() }
        let executor = DedicatedThreadExecutor()
        defer { executor.finish() }
        // Nonisolated code, the test's synchronous body included, runs on the preferred executor.
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == DedicatedThreadTrait {
    /// Runs each test on a thread of its own, off the cooperative pool (for tests that block).
    public static var onDedicatedThread: Self { DedicatedThreadTrait() }
}

/// A task executor with one thread that runs its jobs in order; the thread ends after `finish()` once its
/// queue is empty. Jobs that arrive later (an unstructured task that inherited the preference and outlived
/// the test, say) go to the global concurrent executor, so none is stranded.
public final class DedicatedThreadExecutor: TaskExecutor, Sendable {
    private struct State {
        var jobs: [UnownedJob] = []
        var finished = false
        var exited = false
    }

    // Sendable proof: `state` is guarded by `lock`, with `condition` signalled on every change; the two
    // pointers are allocated once in `init`, never reassigned, and freed in `deinit` (the thread holds a
    // reference while it runs).
    nonisolated(unsafe) private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    nonisolated(unsafe) private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    nonisolated(unsafe) private var state = State()

    public init() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(condition, nil)
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            let executor = Unmanaged<DedicatedThreadExecutor>.fromOpaque(context!).takeRetainedValue()
            executor.run()
            return nil
        }, box.toOpaque())
        precondition(status == 0, "cannot start a test thread (\(status))")
        pthread_detach(thread)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(lock)
        condition.deallocate()
        lock.deallocate()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(lock)
        let exited = state.exited
        if !exited {
            state.jobs.append(job)
            pthread_cond_signal(condition)
        }
        pthread_mutex_unlock(lock)
        if exited { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }

    /// Lets the thread end once the jobs queued so far have run.
    public func finish() {
        pthread_mutex_lock(lock)
        state.finished = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(lock)
    }

    /// Whether the thread has ended (after `finish()`).
    public var hasExited: Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return state.exited
    }

    /// Whether the calling code runs on one of these executors' threads.
    public static var isCurrent: Bool { pthread_getspecific(marker) != nil }

    private static let marker: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private func run() {
        pthread_setspecific(Self.marker, UnsafeRawPointer(bitPattern: 1))
        while true {
            pthread_mutex_lock(lock)
            while state.jobs.isEmpty && !state.finished { pthread_cond_wait(condition, lock) }
            let jobs = state.jobs
            state.jobs.removeAll()
            let done = jobs.isEmpty && state.finished
            if done { state.exited = true }
            pthread_mutex_unlock(lock)
            if done { return }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
