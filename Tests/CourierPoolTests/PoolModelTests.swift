// Model-based tests: long random event sequences against the model driver, which fails on any illegal action.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolModelTests {
    @Test(arguments: 0..<8)
    func randomSequencesKeepEveryRule(batch: Int) throws {
        for seed in UInt64(batch * 500)..<UInt64(batch * 500 + 500) {
            var choices = SeededChoices(seed: seed)
            do {
                _ = try PoolModel.run(&choices, steps: 300)
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
    }

    @Test func longSequencesKeepEveryRule() throws {
        for seed in UInt64(1_000_000)..<1_000_020 {
            var choices = SeededChoices(seed: seed)
            do {
                _ = try PoolModel.run(&choices, steps: 5_000)
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
    }
}
