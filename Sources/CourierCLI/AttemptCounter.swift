import Courier
import Synchronization

/// The innermost middleware of the CLI's client: counts the times a request is handed to the network
/// executor (the first send, plus every retry or redirect hop made by middleware above it), for the
/// summary's `attempts`. The executor's own transparent resends of requests that provably never reached the
/// server are not counted: they are invisible above the transport by design.
final class AttemptCounter: HTTPClientMiddleware {
    private let attempts = Atomic<Int>(0)

    init() {}

    /// Sends so far.
    var count: Int { attempts.load(ordering: .relaxed) }

    func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        attempts.add(1, ordering: .relaxed)
        return try await next(request)
    }
}
