import CourierCore
import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// A small, fixed-size pool of threads for calls that block (getaddrinfo), so they never run on a loop.
/// Work queues without bound in count but each item is tiny; threads start lazily up to `threadCount`.
final class BlockingThreadPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var idle = 0
        var started = 0
    }

    private let threadCount: Int
    private let state = Locked(State())
    /// Counts queued items; threads wait on it. `sem_t` lives on the heap so its address never moves,
    /// and POSIX semaphores are made to be used from many threads at once.
    nonisolated(unsafe) private let semaphore: UnsafeMutablePointer<sem_t>

    init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    // The pool is process-wide and never deallocated while its threads run (they retain it).

    /// Runs `work` on a pool thread.
    func submit(_ work: @escaping @Sendable () -> Void) {
        let startThread = state.withLock { state -> Bool in
            state.queue.append(work)
            if state.idle == 0 && state.started < threadCount {
                state.started += 1
                return true
            }
            if state.idle > 0 { state.idle -= 1 }
            return false
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
            state.withLock { $0.started -= 1 }
        }
    }

    private func work() {
        while true {
            while sem_wait(semaphore) != 0 {}
            let item = state.withLock { state -> (@Sendable () -> Void)? in
                state.queue.isEmpty ? nil : state.queue.removeFirst()
            }
            item?()
            state.withLock { $0.idle += 1 }
        }
    }
}
