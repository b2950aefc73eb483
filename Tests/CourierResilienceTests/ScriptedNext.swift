import Courier
import CourierCore

/// The bottom of a middleware chain in tests: answers each attempt with the next scripted step and records
/// the requests it saw.
final class ScriptedNext: Sendable {
    enum Step: Sendable {
        case status(Int, HTTPFields = HTTPFields())
        case error(HTTPClientError)
        /// Waits on the virtual clock until the request's response head deadline (or forever), then fails
        /// the way the client does.
        case stall
    }

    private struct State {
        var steps: [Step]
        var requests: [HTTPClientRequest] = []
    }

    private let state: Locked<State>
    private let fallback: Step
    let clock: VirtualClock?

    init(_ steps: [Step], then fallback: Step = .status(200), clock: VirtualClock? = nil) {
        state = Locked(State(steps: steps))
        self.fallback = fallback
        self.clock = clock
    }

    var requests: [HTTPClientRequest] { state.withLock { $0.requests } }
    var count: Int { state.withLock { $0.requests.count } }

    var next: HTTPClientNext {
        HTTPClientNext { [self] (request) async throws(HTTPClientError) -> HTTPClientResponse in
            let step = state.withLock { state -> Step in
                state.requests.append(request)
                return state.steps.isEmpty ? fallback : state.steps.removeFirst()
            }
            switch step {
            case .status(let code, let fields):
                return HTTPClientResponse(head: HTTPResponse(status: .init(code: code), headerFields: fields),
                                          body: .bytes(ByteBuffer(string: "\(code)")))
            case .error(let error):
                throw error
            case .stall:
                guard let clock, let deadline = request.responseHeadDeadline else {
                    do { try await Task.sleep(for: .seconds(3600)) } catch {}
                    throw HTTPClientError(.cancelled, "cancelled")
                }
                do {
                    try await clock.sleep(until: deadline)
                } catch {
                    throw HTTPClientError(.cancelled, "cancelled")
                }
                throw HTTPClientError(.deadlineExceeded, "no response head arrived before the deadline")
            }
        }
    }
}
