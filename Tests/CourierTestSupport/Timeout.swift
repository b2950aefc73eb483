import CourierCore

/// Thrown by `withTimeout` when the operation did not finish in time.
public struct TimeoutError: Error, CustomStringConvertible {
    /// How long the operation was allowed to run.
    public let limit: Duration
    /// Where the awaited operation was started.
    public let location: String
    public var description: String { "timed out after \(limit) at \(location)" }
}

/// Runs `operation` and fails with `TimeoutError` if it takes longer than `limit`; the operation is
/// cancelled then but not awaited, so even an operation that ignores cancellation cannot hang the test.
/// Every await in the tests goes through this so a bug shows as a failure, not a hang.
public func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(30),
    fileID: String = #fileID, line: Int = #line,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Outcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let work = Task {
                do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if outcome.finish(.failure(TimeoutError(limit: limit, location: "\(fileID):\(line)"))) { work.cancel() }
            }
            outcome.onFinish { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once with whichever result comes first.
private final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var finished = false
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Locked(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.finished { return true }
            state.cleanup = cleanup
            return false
        }
        if runNow { cleanup() }
    }

    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, cleanup, won) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?, Bool) in
            guard !state.finished else { return (nil, nil, false) }
            state.finished = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.early = result }
            let cleanup = state.cleanup
            state.cleanup = nil
            return (continuation, cleanup, true)
        }
        continuation?.resume(with: result)
        cleanup?()
        return won
    }
}
