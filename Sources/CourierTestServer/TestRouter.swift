import CourierCore
import HTTPTypes

/// A route handler: receives the request, returns the response (throwing answers 500).
public typealias TestHandler = @Sendable (TestRequest) async throws -> TestResponse

/// The server's routes, fallback and queued injections. Thread-safe: tests add routes while requests run.
///
/// Resolution order: injected responses for this request, then user routes (the most recently added
/// first, so a test can override a route), then the built-in routes, then the fallback; a path that some
/// route matches with another method answers 405, anything else 404. A `.get` route also answers HEAD.
final class TestRouter: Sendable {
    struct Route: Sendable {
        let method: HTTPRequest.Method?
        let pattern: RoutePattern
        let faults: [TestFault]
        let handler: TestHandler

        func accepts(_ method: HTTPRequest.Method) -> Bool {
            guard let expected = self.method else { return true }
            return expected == method || (expected == .get && method == .head)
        }
    }

    enum InjectedAction: Sendable {
        case faults([TestFault])
        case response(TestResponse)
    }

    struct Injection: Sendable {
        let method: HTTPRequest.Method?
        let path: String?
        var remaining: Int
        let action: InjectedAction
    }

    private struct State {
        var routes: [Route] = []
        var builtins: [Route] = []
        var fallback: TestHandler?
        var injections: [Injection] = []
    }

    private let state = Locked(State())

    func add(_ route: Route, builtin: Bool = false) {
        state.withLock { state in
            if builtin { state.builtins.append(route) } else { state.routes.append(route) }
        }
    }

    func setFallback(_ handler: TestHandler?) {
        state.withLock { $0.fallback = handler }
    }

    func removeAllRoutes() {
        state.withLock { state in
            state.routes = []
            state.fallback = nil
            state.injections = []
        }
    }

    func inject(_ injection: Injection) {
        precondition(injection.remaining > 0, "an injection applies to at least one request")
        state.withLock { $0.injections.append(injection) }
    }

    /// Picks the handler for `request` (filling its route parameters) and the faults to apply.
    func resolve(_ request: inout TestRequest) -> (TestHandler, [TestFault]) {
        let path = request.path
        let segments = RoutePattern.segments(of: path)
        let method = request.method
        let found = state.withLock { state -> (Route?, [String: String], InjectedAction?, [TestFault], TestHandler?, Bool) in
            var injectedFaults: [TestFault] = []
            var injectedResponse: InjectedAction?
            for index in state.injections.indices {
                let injection = state.injections[index]
                guard injection.method.map({ $0 == method }) ?? true, injection.path.map({ $0 == path }) ?? true else { continue }
                switch injection.action {
                case .faults(let faults):
                    injectedFaults += faults
                case .response:
                    guard injectedResponse == nil else { continue }
                    injectedResponse = injection.action
                }
                state.injections[index].remaining -= 1
            }
            if !state.injections.isEmpty { state.injections.removeAll { $0.remaining <= 0 } }
            var pathMatched = false
            for route in state.routes.reversed() {
                guard let parameters = route.pattern.match(segments) else { continue }
                pathMatched = true
                if route.accepts(method) { return (route, parameters, injectedResponse, injectedFaults, nil, true) }
            }
            for route in state.builtins {
                guard let parameters = route.pattern.match(segments) else { continue }
                pathMatched = true
                if route.accepts(method) { return (route, parameters, injectedResponse, injectedFaults, nil, true) }
            }
            return (nil, [:], injectedResponse, injectedFaults, state.fallback, pathMatched)
        }
        let (route, parameters, injectedResponse, injectedFaults, fallback, pathMatched) = found
        request.parameters = parameters
        if case .response(let response)? = injectedResponse {
            return ({ _ in response }, injectedFaults)
        }
        if let route { return (route.handler, route.faults + injectedFaults) }
        if let fallback { return (fallback, injectedFaults) }
        let status: HTTPResponse.Status = pathMatched ? .methodNotAllowed : .notFound
        return ({ _ in TestResponse.text("\(status)\n", status: status) }, injectedFaults)
    }
}
