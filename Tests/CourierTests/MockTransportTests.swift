import CourierCore
import Testing
import Courier
import CourierTestSupport

/// The mock transport: routing, captures, recording, and the client's features running above it.
@Suite struct MockTransportTests {
    static func client(_ mock: MockTransport, configure: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        configure(&configuration)
        return HTTPClient(configuration: configuration)
    }

    @Test func routesByMethodAndPatternNewestFirst() async throws {
        let mock = MockTransport()
        mock.route(.get, "/users/:id") { request in .json(#"{"id":"\#(request.parameters["id"]!)"}"#) }
        mock.route(.delete, "/users/:id") { _ in .status(.noContent) }
        mock.route("/files/*") { request in .text(request.parameters["*"]!) }
        mock.route(.get, "/users/me") { _ in .text("it's me") }
        let client = Self.client(mock)
        let bodies = try await withTimeout {
            [
                try await client.get("http://api.test/users/42").body.string(upTo: 100),
                try await client.get("http://api.test/users/me").body.string(upTo: 100),
                try await client.get("http://api.test/files/a/b/c.txt?x=1").body.string(upTo: 100),
                "\(try await client.delete("http://api.test/users/42").status.code)",
                "\(try await client.get("http://api.test/nothing/here").status.code)",
                "\(try await client.post("http://api.test/users/42", body: .string("x")).status.code)",
            ]
        }
        #expect(bodies == [#"{"id":"42"}"#, "it's me", "a/b/c.txt", "204", "404", "404"])
    }

    /// A handler's body for HEAD never reaches the caller, as over the network (HEAD has no content).
    @Test func headResponsesHaveNoBody() async throws {
        let mock = MockTransport()
        mock.route("/page") { _ in .text("a body HEAD must not deliver") }
        let client = Self.client(mock)
        let (status, body, getBody) = try await withTimeout {
            let head = try await client.head("http://api.test/page")
            return (head.status.code, try await head.body.string(upTo: 100),
                    try await client.get("http://api.test/page").body.string(upTo: 100))
        }
        #expect(status == 200)
        #expect(body == "")
        #expect(getBody == "a body HEAD must not deliver")
    }

    @Test func recordsRequestsWithBodiesAsSentAfterTheFeatures() async throws {
        let mock = MockTransport()
        mock.route(.post, "/submit") { request in .text("got \(request.bodyString)") }
        mock.route(.get, "/start") { _ in .redirect(to: "/landing?from=start") }
        mock.route(.get, "/landing") { request in .text(request.query ?? "") }
        let client = Self.client(mock)
        let (echo, landed) = try await withTimeout {
            (try await client.post("http://api.test/submit", body: .string("payload"), headerFields: [.contentType: "text/plain"])
                .body.string(upTo: 100),
             try await client.get("http://api.test/start").body.string(upTo: 100))
        }
        #expect(echo == "got payload")
        #expect(landed == "from=start")
        #expect(mock.requestCount == 3)
        #expect(mock.requests.map(\.path) == ["/submit", "/start", "/landing"])
        let submitted = try #require(mock.requests(path: "/submit").first)
        #expect(submitted.hasBody && submitted.bodyString == "payload")
        #expect(submitted.headerFields[.contentType] == "text/plain")
        #expect(submitted.headerFields[.acceptEncoding] == "gzip, deflate")
        #expect(mock.requests[1].hasBody == false)
        mock.resetRecording()
        #expect(mock.requests.isEmpty)
    }

    @Test func fallbackErrorsAndMiddlewareBehaveAsOverTheNetwork() async throws {
        let mock = MockTransport { request in
            if request.path == "/fail" { throw HTTPClientError(.connectionClosed, "dropped by the mock") }
            return .text("fallback")
        }
        struct AddHeader: HTTPClientMiddleware {
            func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
                var request = request
                request.head.headerFields[HTTPField.Name("X-Middleware")!] = "yes"
                return try await next(request)
            }
        }
        let client = Self.client(mock) { $0.middleware = [AddHeader()] }
        #expect(try await withTimeout { try await client.get("http://api.test/any").body.string(upTo: 100) } == "fallback")
        #expect(mock.requests.first?.headerFields[HTTPField.Name("X-Middleware")!] == "yes")
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://api.test/fail") }
        }
        #expect(error?.code == .connectionClosed)
    }

    @Test func countsConcurrency() async throws {
        let mock = MockTransport()
        let gate = AsyncGate()
        mock.route("/slow") { _ in
            await gate.wait()
            return .text("done")
        }
        let client = Self.client(mock)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try await client.get("http://api.test/slow") } }
                while mock.requestsInFlight < 5 { await Task.yield() }
                gate.open()
                try await group.waitForAll()
            }
        }
        #expect(mock.maximumRequestsInFlight == 5)
        #expect(mock.requestsInFlight == 0)
    }
}

/// A gate tasks wait at until it opens (for tests that hold requests in flight).
final class AsyncGate: Sendable {
    private let state = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
