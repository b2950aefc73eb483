/// Thrown by `withTimeout` when the operation did not finish in time.
public struct TimeoutError: Error, CustomStringConvertible {
    /// How long the operation was allowed to run.
    public let limit: Duration
    /// Where the awaited operation was started.
    public let location: String
    public var description: String { "timed out after \(limit) at \(location)" }
}

/// Runs `operation` and fails with `TimeoutError` if it takes longer than `limit`; the operation is
/// cancelled then. Every await in the tests goes through this so a bug shows as a failure, not a hang.
public func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(30),
    fileID: String = #fileID, line: Int = #line,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError(limit: limit, location: "\(fileID):\(line)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
