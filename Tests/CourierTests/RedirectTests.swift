import CourierCore
import Testing
import Courier
import CourierTestSupport

/// Redirect following through the public client against a mock transport.
@Suite struct RedirectTests {
    /// A recorded hop: the request as the transport saw it, and its body.
    struct Hop: Sendable {
        var head: HTTPRequest
        var body: String?
    }

    final class Recorder: Sendable {
        let hops = Locked<[Hop]>([])
        var all: [Hop] { hops.withLock { $0 } }
    }

    typealias Route = @Sendable (HTTPRequest) -> HTTPClientResponse

    /// A client whose mock answers with `route` and records every hop (with its body read).
    static func client(_ recorder: Recorder, configure: (inout HTTPClient.Configuration) -> Void = { _ in },
                       route: @escaping Route) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configure(&configuration)
        configuration.transport = .mock { request in
            var text: String?
            if let body = request.body { text = try await body.collectString(upTo: 1 << 20) }
            recorder.hops.withLock { $0.append(Hop(head: request.head, body: text)) }
            return route(request.head)
        }
        return HTTPClient(configuration: configuration)
    }

    static func redirect(_ status: Int, to location: String, fields: HTTPFields = [:]) -> HTTPClientResponse {
        var fields = fields
        fields[.location] = location
        return HTTPClientResponse(head: HTTPResponse(status: .init(code: status), headerFields: fields),
                                  body: .bytes(ByteBuffer(string: "moved")))
    }

    static func ok(_ text: String = "final") -> HTTPClientResponse {
        HTTPClientResponse(head: HTTPResponse(status: .ok), body: .bytes(ByteBuffer(string: text)))
    }

    @Test func followsRelativeLocationsAndRecordsTheHistory() async throws {
        let recorder = Recorder()
        let client = Self.client(recorder) { head in
            switch head.path {
            case "/a/b": Self.redirect(302, to: "c?x=1")
            case "/a/c?x=1": Self.redirect(301, to: "../d")
            case "/d": Self.redirect(308, to: "https://other.example/e")
            default: Self.ok()
            }
        }
        let response = try await withTimeout { try await client.get("http://example.test/a/b") }
        #expect(response.status == .ok)
        #expect(try await withTimeout { try await response.body.string(upTo: 100) } == "final")
        #expect(recorder.all.map { "\($0.head.scheme!)://\($0.head.authority!)\($0.head.path!)" } == [
            "http://example.test/a/b", "http://example.test/a/c?x=1", "http://example.test/d", "https://other.example/e",
        ])
        #expect(response.redirects.map(\.status.code) == [302, 301, 308])
        #expect(response.redirects.last?.to == "https://other.example/e")
        #expect(response.redirects.first?.from == "http://example.test/a/b")
    }

    @Test(arguments: [(303, "POST", "GET"), (303, "PUT", "GET"), (303, "HEAD", "HEAD"), (302, "POST", "GET"),
                      (301, "POST", "GET"), (302, "PUT", "PUT"), (301, "DELETE", "DELETE"), (307, "POST", "POST"),
                      (308, "PUT", "PUT"), (303, "GET", "GET")])
    func methodAndBodyRules(status: Int, method: String, expected: String) async throws {
        let recorder = Recorder()
        let client = Self.client(recorder) { head in
            head.path == "/start" ? Self.redirect(status, to: "/next") : Self.ok()
        }
        let fields: HTTPFields = [.contentType: "text/plain", .authorization: "Bearer t", HTTPField.Name("X-Keep")!: "1"]
        let request = try HTTPClient.request(HTTPRequest.Method(method)!, "http://example.test/start", headerFields: fields)
        let hasBody = method != "GET" && method != "HEAD"
        _ = try await withTimeout {
            try await client.execute(request, body: hasBody ? .string("payload") : nil).body.collect(upTo: 100)
        }
        let next = recorder.all[1]
        #expect(next.head.method.rawValue == expected)
        if expected == method {
            #expect(next.body == (hasBody ? "payload" : nil))
            #expect(next.head.headerFields[.contentType] == "text/plain")
        } else {
            #expect(next.body == nil)
            #expect(next.head.headerFields[.contentType] == nil)
        }
        // Same origin: credentials and other fields stay.
        #expect(next.head.headerFields[.authorization] == "Bearer t")
        #expect(next.head.headerFields[HTTPField.Name("X-Keep")!] == "1")
    }

    @Test func oneShotBodiesCannotBeReplayed() async throws {
        let recorder = Recorder()
        let client = Self.client(recorder) { head in head.path == "/start" ? Self.redirect(307, to: "/next") : Self.ok() }
        let chunks = ChunkedBytes(bytes: Array("streamed".utf8), sizes: [3])
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout {
                _ = try await client.execute(HTTPClient.request(.post, "http://example.test/start"), body: .stream(chunks))
            }
        }
        #expect(error?.code == .bodyNotReplayable)
        // A replayable stream (made anew per attempt) is sent again.
        let replayable = HTTPClientRequestBody.stream(length: 8) { ChunkedBytes(bytes: Array("streamed".utf8), sizes: [3]) }
        _ = try await withTimeout {
            try await client.execute(HTTPClient.request(.post, "http://example.test/start"), body: replayable).body.collect(upTo: 100)
        }
        #expect(recorder.all.suffix(2).map(\.body) == ["streamed", "streamed"])
    }

    @Test func credentialsAreStrippedWhenTheOriginChanges() async throws {
        let recorder = Recorder()
        let client = Self.client(recorder) { head in
            switch (head.authority!, head.path!) {
            case ("example.test", "/1"): Self.redirect(302, to: "https://example.test/2")  // upgrade: kept
            case ("example.test", "/2"): Self.redirect(302, to: "https://example.test:8443/3")  // port change
            case ("example.test:8443", "/3"): Self.redirect(302, to: "https://other.test/4")
            default: Self.ok()
            }
        }
        let fields: HTTPFields = [.authorization: "Basic abc", .cookie: "a=b", .proxyAuthorization: "Basic p",
                                  .accept: "text/plain"]
        _ = try await withTimeout {
            try await client.get("http://example.test/1", headerFields: fields).body.collect(upTo: 100)
        }
        let hops = recorder.all
        #expect(hops.count == 4)
        #expect(hops[1].head.headerFields[.authorization] == "Basic abc")
        #expect(hops[1].head.headerFields[.cookie] == "a=b")
        for hop in hops[2...] {
            #expect(hop.head.headerFields[.authorization] == nil)
            #expect(hop.head.headerFields[.cookie] == nil)
            #expect(hop.head.headerFields[.proxyAuthorization] == nil)
            #expect(hop.head.headerFields[.accept] == "text/plain")
        }
    }

    @Test func downgradesAreRefusedUnlessAllowed() async throws {
        let route: Route = { head in head.scheme == "https" ? Self.redirect(302, to: "http://example.test/plain") : Self.ok() }
        let strict = Self.client(Recorder(), route: route)
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await strict.get("https://example.test/secure") }
        }
        #expect(error?.code == .insecureRedirect)
        let lenient = Self.client(Recorder(), configure: { $0.redirects.allowsInsecureRedirects = true }, route: route)
        let response = try await withTimeout { try await lenient.get("https://example.test/secure") }
        #expect(response.status == .ok)
    }

    @Test func loopsAreDetectedButACookieRoundTripIsNot() async throws {
        let loop = Self.client(Recorder()) { head in
            head.path == "/a" ? Self.redirect(302, to: "/b") : Self.redirect(302, to: "/a")
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await loop.get("http://example.test/a") }
        }
        #expect(error?.code == .redirectLoop)

        // /login sets a cookie and sends the client back to /app, which then succeeds.
        let recorder = Recorder()
        let login = Self.client(recorder) { head in
            switch head.path {
            case "/app" where head.headerFields[.cookie] == nil && recorder.all.count == 1: Self.redirect(302, to: "/login")
            case "/login": Self.redirect(302, to: "/app", fields: [.setCookie: "session=1"])
            default: Self.ok()
            }
        }
        let response = try await withTimeout { try await login.get("http://example.test/app") }
        #expect(response.status == .ok)
        #expect(recorder.all.map(\.head.path) == ["/app", "/login", "/app"])
    }

    @Test func theRedirectLimitIsExact() async throws {
        let route: Route = { head in
            let n = Int(head.path!.dropFirst())!
            return n == 0 ? Self.ok() : Self.redirect(302, to: "/\(n - 1)")
        }
        let client = Self.client(Recorder(), configure: { $0.redirects.maximumRedirects = 3 }, route: route)
        let response = try await withTimeout { try await client.get("http://example.test/3") }
        #expect(response.status == .ok)
        #expect(response.redirects.count == 3)
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://example.test/4") }
        }
        #expect(error?.code == .tooManyRedirects)
    }

    @Test func disabledOrUnfollowableRedirectsComeBackAsTheyAre() async throws {
        let route: Route = { head in
            switch head.path {
            case "/app-callback": Self.redirect(302, to: "myapp://done?code=1")
            case "/not-modified": Self.redirect(304, to: "/elsewhere")
            case "/multiple": Self.redirect(300, to: "/elsewhere")
            case "/no-location": HTTPClientResponse(head: HTTPResponse(status: .found))
            case "/final": Self.ok()
            default: Self.redirect(302, to: "/final")
            }
        }
        let off = Self.client(Recorder(), configure: { $0.redirects = .disabled }, route: route)
        #expect(try await withTimeout { try await off.get("http://example.test/x") }.status.code == 302)
        var on = HTTPClientRequest(head: try HTTPClient.request(.get, "http://example.test/x"))
        on.options.followRedirects = true
        let followed = on
        #expect(try await withTimeout { try await off.execute(followed) }.status.code == 200)

        let client = Self.client(Recorder(), route: route)
        var notFollowed = HTTPClientRequest(head: try HTTPClient.request(.get, "http://example.test/x"))
        notFollowed.options.followRedirects = false
        let unfollowed = notFollowed
        #expect(try await withTimeout { try await client.execute(unfollowed) }.status.code == 302)
        for (path, status) in [("/app-callback", 302), ("/not-modified", 304), ("/multiple", 300), ("/no-location", 302)] {
            let response = try await withTimeout { try await client.get("http://example.test\(path)") }
            #expect(response.status.code == status, "\(path)")
            #expect(response.redirects.isEmpty)
        }
    }

    @Test func unusableLocationIsAProtocolViolation() async throws {
        let client = Self.client(Recorder()) { _ in Self.redirect(302, to: "http://bad host:99999/") }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://example.test/") }
        }
        #expect(error?.code == .protocolViolation)
    }

    @Test func redirectBodiesAreReadToTheirEnd() async throws {
        let drained = Locked(false)
        struct Marking: AsyncSequence, Sendable {
            typealias Element = ByteBuffer
            let done: @Sendable () -> Void
            struct AsyncIterator: AsyncIteratorProtocol {
                var sent = false
                let done: @Sendable () -> Void
                mutating func next() async throws -> ByteBuffer? {
                    if sent { done(); return nil }
                    sent = true
                    return ByteBuffer(string: "<html>moved</html>")
                }
            }
            func makeAsyncIterator() -> AsyncIterator { AsyncIterator(done: done) }
        }
        let client = Self.client(Recorder()) { head in
            guard head.path == "/start" else { return Self.ok() }
            return HTTPClientResponse(head: HTTPResponse(status: .found, headerFields: [.location: "/end"]),
                                      body: .stream(Marking { drained.withLock { $0 = true } }))
        }
        _ = try await withTimeout { try await client.get("http://example.test/start") }
        #expect(drained.withLock { $0 })
    }
}
