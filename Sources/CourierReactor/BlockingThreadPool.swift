import CourierCore
import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// A small pool of threads for calls that block (getaddrinfo), so they never run on a loop. Work queues
/// without bound in count but each item is tiny; threads start lazily up to `threadCount` and end after
/// `idleLifetime` without work, so a pool that is no longer used (a dropped resolver) leaves no thread behind.
final class BlockingThreadPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        /// Threads waiting for work (or about to), each able to take a queued item.
        var waiting = 0
        var started = 0
    }

    private let threadCount: Int
    private let idleLifetime: Duration
    private let state = Locked(State())
    /// Counts queued items; threads wait on it. `sem_t` lives on the heap so its address never moves,
    /// and POSIX semaphores are made to be used from many threads at once.
    nonisolated(unsafe) private let semaphore: UnsafeMutablePointer<sem_t>

    init(threadCount: Int, idleLifetime: Duration = .seconds(10)) {
        self.threadCount = max(1, threadCount)
        self.idleLifetime = idleLifetime
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    // Running threads retain the pool, so it outlives them.
    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    /// Threads started and not yet ended (for tests).
    var threadsRunning: Int { state.withLock { $0.started } }

    /// Runs `work` on a pool thread.
    func submit(_ work: @escaping @Sendable () -> Void) {
        let startThread = state.withLock { state -> Bool in
            state.queue.append(work)
            guard state.queue.count > state.waiting && state.started < threadCount else { return false }
            state.started += 1
            state.waiting += 1  // the new thread counts as waiting from the start
            return true
        }
        sem_post(semaphore)
        if startThread { spawn() }
    }

    private func spawn() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self)
        let status = courier_thread_create(&thread, 512 * 1024, { context in
            let pool = Unmanaged<BlockingThreadPool>.fromOpaque(context!).takeRetainedValue()
            courier_set_thread_name("courier-blocking")
            pool.work()
            return nil
        }, box.toOpaque())
        if status == 0 {
            pthread_detach(thread)
        } else {
            box.release()
            state.withLock { state in
                state.started -= 1
                state.waiting -= 1
            }
        }
    }

    // The queue is the truth and the semaphore a wake-up: every item posts once, so there are always at least
    // as many posts as queued items, and a waiting thread wakes for each. A thread whose wait timed out takes
    // an item if one is queued (its post then wakes another thread for nothing) and ends only when none is.
    private func work() {
        while true {
            let woken = waitForWork()
            let item = state.withLock { state -> (@Sendable () -> Void)?? in
                state.waiting -= 1
                if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                if woken {
                    state.waiting += 1
                    return .some(nil)
                }
                state.started -= 1
                return .none  // idle for `idleLifetime`: end
            }
            guard let item else { return }
            guard let item else { continue }
            item()
            state.withLock { $0.waiting += 1 }
        }
    }

    /// Waits for a queued item's post; false after `idleLifetime` without one.
    private func waitForWork() -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = idleLifetime.components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while true {
            if sem_timedwait(semaphore, &deadline) == 0 { return true }
            if errno == ETIMEDOUT { return false }
            // EINTR: wait again for the same deadline.
        }
    }
}
