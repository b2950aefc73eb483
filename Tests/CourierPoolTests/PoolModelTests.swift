// Model-based tests: long random event sequences against the model driver, which fails on any illegal action.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolModelTests {
    /// Runs the sequences of `seeds`; the first failure is replayed with tracing to show how it came about.
    /// Yields between sequences: this is seconds of CPU, and the suites running alongside share the few
    /// cooperative threads.
    private func check(seeds: Range<UInt64>, steps: Int) async {
        for seed in seeds {
            await Task.yield()
            var choices = SeededChoices(seed: seed)
            do {
                _ = try PoolModel.run(&choices, steps: steps)
            } catch {
                var replay = SeededChoices(seed: seed)
                let traced = Result { () throws(ModelViolation) in try PoolModel.run(&replay, steps: steps, tracing: true) }
                if case .failure(let violation) = traced {
                    Issue.record("seed \(seed): \(violation)")
                } else {
                    Issue.record("seed \(seed): \(error) (not reproduced with tracing)")
                }
                return
            }
        }
    }

    @Test(arguments: 0..<8)
    func randomSequencesKeepEveryRule(batch: Int) async {
        await check(seeds: UInt64(batch * 500)..<UInt64(batch * 500 + 500), steps: 300)
    }

    @Test func longSequencesKeepEveryRule() async {
        await check(seeds: 1_000_000..<1_000_020, steps: 5_000)
    }
}
