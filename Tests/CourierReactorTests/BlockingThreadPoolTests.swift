import Testing
import CourierCore
import CourierTestSupport
@testable import CourierReactor

@Suite struct BlockingThreadPoolTests {
    /// Threads that found no work for the idle lifetime end, and a pool nobody holds is then freed: a dropped
    /// resolver leaves no thread behind.
    @Test func idleThreadsEndAndReleaseThePool() async throws {
        weak var released: BlockingThreadPool?
        do {
            let pool = BlockingThreadPool(threadCount: 2, idleLifetime: .milliseconds(50))
            released = pool
            for _ in 0..<2 {
                try await withTimeout {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        pool.submit { continuation.resume() }
                    }
                }
            }
            try await withTimeout {
                while pool.threadsRunning > 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            // A pool whose threads ended still takes work (a thread starts again).
            try await withTimeout {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    pool.submit { continuation.resume() }
                }
            }
        }
        // Polled here (a weak reference cannot cross into a timeout's task), bounded by a deadline.
        let deadline = ContinuousClock.now + .seconds(30)
        while released != nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(released == nil, "the pool's threads did not end, so the pool was never freed")
    }

    /// Many items from many tasks all run, whatever the threads' coming and going.
    @Test func everyItemRunsWhileThreadsComeAndGo() async throws {
        let pool = BlockingThreadPool(threadCount: 3, idleLifetime: .milliseconds(1))
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        if index % 50 == 0 { try await Task.sleep(for: .milliseconds(5)) }
                        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                            pool.submit { continuation.resume() }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
