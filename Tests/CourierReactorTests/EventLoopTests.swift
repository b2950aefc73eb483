import Testing
import CourierCore
import CourierTestSupport
@testable import CourierReactor

actor LoopBoundCounter {
    let loop: EventLoop
    var count = 0
    init(loop: EventLoop) { self.loop = loop }
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.serialExecutor.asUnownedSerialExecutor() }
    func increment() -> Bool {
        count += 1
        return loop.inEventLoop
    }
}

@Suite struct EventLoopTests {
    @Test func executeRunsOnTheLoopThread() async throws {
        let loop = try EventLoop(name: "test-execute")
        defer { loop.syncShutdown() }
        let onLoop = try await withTimeout { try await loop.submit { loop.inEventLoop } }
        #expect(onLoop)
        #expect(!loop.inEventLoop)
    }

    @Test func taskWithExecutorPreferenceRunsOnTheLoop() async throws {
        let loop = try EventLoop(name: "test-task")
        defer { loop.syncShutdown() }
        let results = try await withTimeout {
            await Task(executorPreference: loop) { () -> [Bool] in
                var seen = [loop.inEventLoop]
                await Task.yield()
                seen.append(loop.inEventLoop)
                // A continuation resumed from the loop brings the task back to the loop.
                await withCheckedContinuation { continuation in loop.execute { continuation.resume() } }
                seen.append(loop.inEventLoop)
                return seen
            }.value
        }
        #expect(results == [true, true, true])
    }

    @Test func actorWithLoopExecutorRunsOnTheLoop() async throws {
        let loop = try EventLoop(name: "test-actor")
        defer { loop.syncShutdown() }
        let counter = LoopBoundCounter(loop: loop)
        let allOnLoop = try await withTimeout {
            var all = true
            for _ in 0..<100 { all = await counter.increment() && all }
            return all
        }
        #expect(allOnLoop)
        #expect(await counter.count == 100)
    }

    /// The loop's own default, none, and a limit long enough that the loop polls through most waits here.
    static let idlePollLimits: [Duration] = [EventLoop.defaultIdlePollLimit, .zero, .milliseconds(20)]

    @Test(arguments: idlePollLimits)
    func manyThreadsSubmittingConcurrentlyLoseNothing(idlePollLimit: Duration) async throws {
        let loop = try EventLoop(name: "test-concurrent", idlePollLimit: idlePollLimit)
        defer { loop.syncShutdown() }
        final class Counter: Sendable { let value = Locked(0) }
        let counter = Counter()
        try await withTimeout {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<1000 {
                            _ = try? await loop.submit { counter.value.withLock { $0 += 1 } }
                        }
                    }
                }
            }
        }
        #expect(counter.value.withLock { $0 } == 8000)
    }

    @Test(arguments: idlePollLimits)
    func timersFireInDeadlineOrderAndCancelledOnesDoNot(idlePollLimit: Duration) async throws {
        let loop = try EventLoop(name: "test-timers", idlePollLimit: idlePollLimit)
        defer { loop.syncShutdown() }
        let fired = Locked<[Int]>([])
        let start = SystemClock.now()
        let order = try await withTimeout { () -> [Int] in
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute {
                    // Scheduled out of order, with one cancelled and two sharing a deadline.
                    loop.schedule(at: start + .milliseconds(40)) { fired.withLock { $0.append(4) } }
                    loop.schedule(at: start + .milliseconds(10)) { fired.withLock { $0.append(1) } }
                    let cancelled = loop.schedule(at: start + .milliseconds(20)) { fired.withLock { $0.append(99) } }
                    loop.schedule(at: start + .milliseconds(30)) { fired.withLock { $0.append(2) } }
                    loop.schedule(at: start + .milliseconds(30)) { fired.withLock { $0.append(3) } }
                    loop.schedule(at: start + .milliseconds(60)) { continuation.resume() }
                    cancelled.cancel()
                }
            }
            return fired.withLock { $0 }
        }
        #expect(order == [1, 2, 3, 4])
        #expect(SystemClock.now() - start >= .milliseconds(60))
    }

    @Test func timerCancelledFromAnotherThread() async throws {
        let loop = try EventLoop(name: "test-cancel")
        defer { loop.syncShutdown() }
        let fired = Locked(false)
        let task = loop.schedule(after: .milliseconds(30)) { fired.withLock { $0 = true } }
        task.cancel()
        try await withTimeout {
            await withCheckedContinuation { continuation in
                loop.schedule(after: .milliseconds(60)) { continuation.resume() }
            }
        }
        #expect(fired.withLock { $0 } == false)
        #expect(try await loop.submit { loop.pendingTimerCount } == 0)
    }

    @Test func groupHandsOutLoopsRoundRobin() throws {
        let group = try EventLoopGroup(loopCount: 3, name: "test-group")
        defer { group.syncShutdown() }
        let picked = (0..<6).map { _ in ObjectIdentifier(group.next()) }
        #expect(Set(picked).count == 3)
        #expect(picked[0] == picked[3])
        #expect(EventLoopGroup.defaultLoopCount >= 1)
    }

    @Test func workSubmittedAfterShutdownStillRuns() async throws {
        let loop = try EventLoop(name: "test-late")
        loop.syncShutdown()
        let ran = try await withTimeout { try await loop.submit { loop.inEventLoop } }
        #expect(ran)
    }
}
