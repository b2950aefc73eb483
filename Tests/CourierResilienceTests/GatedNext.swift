import CourierResilience
import Courier
import CourierCore

/// The bottom of a middleware chain whose attempts wait until the test answers them (or they are
/// cancelled), to test concurrency: limiters, hedging.
final class GatedNext: Sendable {
    private struct Waiting {
        let id: Int
        let continuation: CheckedContinuation<Result<Int, HTTPClientError>, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var arrived = 0
        var cancelled = 0
        var nextID = 0
        /// Answers for attempts that have not arrived yet, by arrival number (1-based).
        var preset: [Int: Result<Int, HTTPClientError>] = [:]
    }

    private let state = Locked(State())

    /// Attempts that arrived so far.
    var arrived: Int { state.withLock { $0.arrived } }
    /// Attempts waiting for an answer.
    var waiting: Int { state.withLock { $0.waiting.count } }
    /// Attempts that ended because they were cancelled.
    var cancelled: Int { state.withLock { $0.cancelled } }

    /// Answers attempt number `arrival` (1-based) at once when it arrives.
    func preset(_ arrival: Int, _ result: Result<Int, HTTPClientError>) {
        state.withLock { $0.preset[arrival] = result }
    }

    /// Answers the oldest waiting attempt with `status` (or `error`).
    func answerOldest(_ status: Int = 200, error: HTTPClientError? = nil) {
        let waiter = state.withLock { state -> Waiting? in
            state.waiting.isEmpty ? nil : state.waiting.removeFirst()
        }
        waiter?.continuation.resume(returning: error.map { .failure($0) } ?? .success(status))
    }

    var next: HTTPClientNext {
        HTTPClientNext { [self] (_) async throws(HTTPClientError) -> HTTPClientResponse in
            let (id, preset) = state.withLock { state -> (Int, Result<Int, HTTPClientError>?) in
                state.arrived += 1
                state.nextID += 1
                return (state.nextID, state.preset.removeValue(forKey: state.arrived))
            }
            let result: Result<Int, HTTPClientError>
            if let preset {
                result = preset
            } else {
                result = await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int, HTTPClientError>, Never>) in
                        let cancelledAlready = state.withLock { state -> Bool in
                            if Task.isCancelled { return true }
                            state.waiting.append(Waiting(id: id, continuation: continuation))
                            return false
                        }
                        if cancelledAlready { continuation.resume(returning: .failure(HTTPClientError(.cancelled, "cancelled"))) }
                    }
                } onCancel: {
                    let waiter = state.withLock { state -> Waiting? in
                        guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.waiting.remove(at: index)
                    }
                    waiter?.continuation.resume(returning: .failure(HTTPClientError(.cancelled, "cancelled")))
                }
            }
            switch result {
            case .success(let status):
                return HTTPClientResponse(head: HTTPResponse(status: .init(code: status)))
            case .failure(let error):
                if error.code == .cancelled { state.withLock { $0.cancelled += 1 } }
                throw error
            }
        }
    }
}

/// `middleware` (outermost first) around `bottom`, as the client chains them.
func chain(_ middleware: [any HTTPClientMiddleware], _ bottom: HTTPClientNext) -> HTTPClientNext {
    guard let first = middleware.first else { return bottom }
    let rest = chain(Array(middleware.dropFirst()), bottom)
    return HTTPClientNext { (request) async throws(HTTPClientError) in try await first.execute(request, next: rest) }
}

/// Collects the events an observer receives.
final class EventLog: Sendable {
    private let events = Locked<[ResilienceEvent]>([])
    var all: [ResilienceEvent] { events.withLock { $0 } }
    var kinds: [ResilienceEvent.Kind] { all.map(\.kind) }
    func append(_ event: ResilienceEvent) { events.withLock { $0.append(event) } }
    /// Telemetry reporting to this log and to `metrics`.
    func telemetry(metrics: TestMetrics = TestMetrics()) -> ResilienceTelemetry {
        ResilienceTelemetry(factory: metrics, observer: { [self] event in append(event) })
    }
}

/// A GET (or `method`) request to `url`'s origin.
func request(_ method: HTTPRequest.Method = .get, _ url: String = "https://api.example/items",
             fields: HTTPFields = HTTPFields(), body: HTTPClientRequestBody? = nil) -> HTTPClientRequest {
    HTTPClientRequest(head: try! HTTPClient.request(method, url, headerFields: fields), body: body)
}
