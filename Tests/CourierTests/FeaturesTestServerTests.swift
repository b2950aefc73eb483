import CourierCore
import Testing
import Courier
import CourierReactor
import CourierTestServer
import CourierTestSupport

/// The client's features against the in-process server, over HTTP/1.1 and HTTP/2.
@Suite struct FeaturesTestServerTests {
    enum Transport: String, CaseIterable, Sendable { case http1, http2 }

    static func start(_ transport: Transport) async throws -> (TestServer, HTTPClient.Configuration) {
        var configuration = HTTPClient.Configuration()
        switch transport {
        case .http1:
            configuration.httpVersion = .http1Only
            return (try await TestServer.start(), configuration)
        case .http2:
            let server = try await TestServer.start(.tls())
            configuration.tls.trustRoots = server.trustRoots!
            return (server, configuration)
        }
    }

    @Test(arguments: Transport.allCases)
    func redirectsReuseTheConnection(_ transport: Transport) async throws {
        let (server, configuration) = try await Self.start(transport)
        let client = HTTPClient(configuration: configuration)
        let (info, redirects, version) = try await withTimeout {
            _ = try await client.get(server.url("/connection-info")).body.collect(upTo: 1000)
            let response = try await client.get(server.url("/redirect/4?then=x"))
            _ = try await response.body.collect(upTo: 1000)
            let info = try await client.get(server.url("/connection-info")).body.string(upTo: 1000)
            return (info, response.redirects, response.version)
        }
        #expect(redirects.map(\.to).last == server.url("/redirect/0?then=x"))
        #expect(redirects.count == 4)
        // Every hop and the last request went over the first connection: redirect bodies were drained.
        #expect(info.contains("request=7"), "\(info)")
        #expect(version == (transport == .http2 ? .http2 : .http1_1))
        await client.shutdown()
        await server.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func compressedBodiesStreamThroughTheDecoder(_ transport: Transport) async throws {
        let (server, configuration) = try await Self.start(transport)
        let text = String(repeating: "streamed and compressed; ", count: 40_000)
        let compressed = TestCompression.compress(text, .gzip)
        server.route(.get, "/gzip") { request in
            let accepted = request.headerFields[.acceptEncoding] ?? ""
            let chunks = stride(from: 0, to: compressed.count, by: 1000).map {
                ByteBuffer(bytes: compressed[$0..<min($0 + 1000, compressed.count)])
            }
            return TestResponse(status: .ok, headerFields: [.contentEncoding: "gzip", HTTPField.Name("X-Accepted")!: accepted],
                                body: .stream(StreamOf(chunks), length: nil))
        }
        let client = HTTPClient(configuration: configuration)
        let (body, head) = try await withTimeout {
            let response = try await client.get(server.url("/gzip"))
            return (try await response.body.string(upTo: 4 << 20), response.head)
        }
        #expect(body == text)
        #expect(head.headerFields[HTTPField.Name("X-Accepted")!] == "gzip, deflate")
        #expect(head.headerFields[.contentEncoding] == nil)
        await client.shutdown()
        await server.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func cookiesRoundTrip(_ transport: Transport) async throws {
        let (server, baseConfiguration) = try await Self.start(transport)
        var configuration = baseConfiguration
        server.route(.get, "/login") { _ in
            TestResponse.redirect(to: "/headers").withHeaderFields([.setCookie: "session=xyz; Path=/; HttpOnly; Secure"])
        }
        configuration.cookieJar = CookieJar()
        let client = HTTPClient(configuration: configuration)
        let headers = try await withTimeout { try await client.get(server.url("/login")).body.string(upTo: 10_000) }
        // Secure cookies are kept for https and loopback origins alike (the cleartext server is on 127.0.0.1).
        #expect(headers.lowercased().contains("cookie: session=xyz"), "\(headers)")
        await client.shutdown()
        await server.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func listenerSeesTheProtocolAndReuse(_ transport: Transport) async throws {
        let (server, baseConfiguration) = try await Self.start(transport)
        var configuration = baseConfiguration
        let recorder = ObservabilityTests.Recorder()
        configuration.eventListener = recorder
        let client = HTTPClient(configuration: configuration)
        try await withTimeout {
            for _ in 0..<2 { _ = try await client.get(server.url("/bytes/100000")).body.collect(upTo: 1 << 20) }
        }
        try await withTimeout { while recorder.metrics.count < 2 { try await Task.sleep(for: .milliseconds(1)) } }
        let connections = recorder.connections.withLock { $0 }
        #expect(connections.count == 2)
        #expect(connections[0].isReused == false && connections[1].isReused == true)
        #expect(connections[0].id == connections[1].id)
        let expected: HTTPProtocolVersion = transport == .http2 ? .http2 : .http1_1
        #expect(connections.allSatisfy { $0.protocolVersion == expected })
        if transport == .http2 { #expect(connections[0].applicationProtocol == "h2") }
        #expect(recorder.metrics.allSatisfy { $0.bodyCompleted && $0.responseBodyBytes == 100_000 })
        await client.shutdown()
        await server.shutdown()
    }

    @Test(.enabled(if: TinyProxy.isAvailable))
    func http2ThroughAConnectTunnel() async throws {
        let (server, baseConfiguration) = try await Self.start(.http2)
        let proxy = try TinyProxy.start()
        defer { proxy.stop() }
        var configuration = baseConfiguration
        configuration.proxy = .proxy(HTTPClient.Proxy(host: "127.0.0.1", port: proxy.port))
        configuration.resolver = StaticResolver([:])  // only the proxy can reach "localhost"
        let client = HTTPClient(configuration: configuration)
        let (version, body) = try await withTimeout {
            let response = try await client.get(server.url("/bytes/300000"))
            return (response.version, try await response.body.collect(upTo: 1 << 20))
        }
        #expect(version == .http2)
        #expect(body.readableBytes == 300_000)
        #expect(TestPattern.matches(body, offset: 0))
        #expect(proxy.log.contains("CONNECT localhost:\(server.port)"))
        await client.shutdown()
        await server.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func boundedConcurrencyAsTheServerSeesIt(_ transport: Transport) async throws {
        let (server, configuration) = try await Self.start(transport)
        final class Counter: Sendable { let state = Locked((current: 0, maximum: 0)) }
        let counter = Counter()
        server.route(.get, "/work/:n") { request in
            counter.state.withLock { $0.current += 1; $0.maximum = max($0.maximum, $0.current) }
            try await Task.sleep(for: .milliseconds(2))
            counter.state.withLock { $0.current -= 1 }
            return .text(request.parameters["n"]!)
        }
        let client = HTTPClient(configuration: configuration)
        let urls = (0..<60).map { server.url("/work/\($0)") }
        let results = try await withTimeout {
            try await Concurrently.gather(urls, maximumConcurrency: 6) { url in
                try await client.get(url).body.string(upTo: 100)
            }
        }
        #expect(try results.map { try $0.get() } == (0..<60).map(String.init))
        #expect(counter.state.withLock { $0.maximum } <= 6)
        await client.shutdown()
        await server.shutdown()
    }
}
