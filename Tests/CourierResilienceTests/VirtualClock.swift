import CourierCore
import CourierResilience

/// A `ResilienceClock` on virtual time. In `autoAdvance` mode a sleep moves the clock to its deadline and
/// returns at once (sequential code: retries, backoff); otherwise sleepers wait until the test calls
/// `advance`, which wakes them in deadline order (concurrent code: limiters, hedging).
final class VirtualClock: ResilienceClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Timestamp
        let continuation: CheckedContinuation<Result<Void, CancellationError>, Never>
    }

    private struct State {
        var now: Timestamp
        var unixTime: Double
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 1
        var sleeps: [Duration] = []
    }

    private let state: Locked<State>
    let autoAdvance: Bool

    init(autoAdvance: Bool = false, start: Timestamp = Timestamp(nanoseconds: 1_000_000_000_000),
         unixTime: Double = 1_800_000_000) {
        self.autoAdvance = autoAdvance
        state = Locked(State(now: start, unixTime: unixTime))
    }

    func now() -> Timestamp { state.withLock { $0.now } }

    func unixTime() -> Double { state.withLock { $0.unixTime } }

    /// Every sleep requested so far, as a duration from the time it was requested.
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// Sleepers currently waiting.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(until deadline: Timestamp) async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        let immediate = state.withLock { state -> Bool in
            state.sleeps.append(deadline.elapsed(since: state.now))
            if deadline <= state.now { return true }
            if autoAdvance {
                state.unixTime += deadline.elapsed(since: state.now).secondsDouble
                state.now = deadline
                return true
            }
            return false
        }
        if immediate { return }
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, CancellationError>, Never>) in
                let resumeNow = state.withLock { state -> Result<Void, CancellationError>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(returning: .failure(CancellationError()))
        }
        try result.get()
    }

    /// Moves time forward by `duration`, waking the sleepers whose deadlines it reaches.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now + duration
            state.unixTime += duration.secondsDouble
            let due = state.sleepers.filter { $0.deadline <= state.now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= state.now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume(returning: .success(())) }
    }

    /// Waits (really, but briefly) until at least `count` sleepers wait.
    func waitForSleepers(_ count: Int) async throws {
        try await waitUntil("\(count) sleepers") { self.sleeperCount >= count }
    }
}

/// Polls `condition` with short real sleeps until it holds, failing after 10 s.
func waitUntil(_ what: String, _ condition: @Sendable () -> Bool) async throws {
    for _ in 0..<10_000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    throw ConditionTimeout(what: what)
}

struct ConditionTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "gave up waiting for \(what)" }
}
