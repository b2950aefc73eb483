import CourierTestSupport
import Testing

/// The trait that keeps blocking tests off the cooperative pool does move them, synchronous and async,
/// parameterized or not, and leaves other tests where they were.
@Suite(.onDedicatedThread) struct DedicatedThreadTraitTests {
    @Test func synchronousBodiesRunOnTheirOwnThread() {
        #expect(DedicatedThreadExecutor.isCurrent)
    }

    @Test func asyncBodiesStayThereAcrossSuspensions() async throws {
        #expect(DedicatedThreadExecutor.isCurrent)
        try await Task.sleep(for: .milliseconds(1))
        #expect(DedicatedThreadExecutor.isCurrent)
    }

    @Test(arguments: [1, 2, 3]) func eachCaseToo(_ value: Int) {
        #expect(DedicatedThreadExecutor.isCurrent, "case \(value)")
    }
}

@Suite struct CooperativePoolTests {
    @Test func testsWithoutTheTraitRunOnThePool() async {
        #expect(!DedicatedThreadExecutor.isCurrent)
    }

    /// Work that prefers an executor whose thread has ended still runs (on the global executor).
    @Test func jobsArrivingAfterTheThreadEndedStillRun() async throws {
        let executor = DedicatedThreadExecutor()
        executor.finish()
        try await withTimeout {
            while !executor.hasExited { try await Task.sleep(for: .milliseconds(1)) }
        }
        let ranThere = try await withTimeout {
            await withTaskExecutorPreference(executor) { DedicatedThreadExecutor.isCurrent }
        }
        #expect(!ranThere)
    }
}
