import Testing
import Courier
import CourierTestServer
import CourierTestSupport
import CourierTracing
import InMemoryTracing
import Tracing

/// Spans with the OpenTelemetry HTTP client attributes and `traceparent` propagation, against the in-process
/// server over HTTP/1.1 and HTTP/2.
@Suite struct TracingMiddlewareTests {
    static func client(_ tracer: W3CTestTracer, version: HTTPVersionPolicy = .automatic,
                       configure: (inout TracingMiddleware.Configuration) -> Void = { _ in }) -> HTTPClient {
        var tracing = TracingMiddleware.Configuration(tracer: tracer)
        configure(&tracing)
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        configuration.middleware = [TracingMiddleware(configuration: tracing)]
        return HTTPClient(configuration: configuration)
    }

    /// Waits until `count` spans have ended (a span covering the body ends as the body ends).
    static func finishedSpans(_ tracer: W3CTestTracer, count: Int) async throws -> [FinishedInMemorySpan] {
        try await withTimeout {
            while tracer.finishedSpans.count < count { try await Task.sleep(for: .milliseconds(5)) }
            return tracer.finishedSpans
        }
    }

    @Test(arguments: [HTTPVersionPolicy.http1Only, .http2PriorKnowledge])
    func aSpanPerRequestWithTheSemanticAttributesAndTraceparent(version: HTTPVersionPolicy) async throws {
        let server = try await TestServer.start()
        let tracer = W3CTestTracer()
        let client = Self.client(tracer, version: version)
        let body = try await withTimeout {
            try await tracer.withSpan("parent") { _ in
                let response = try await client.get(server.url("/bytes/5000?x=1"))
                let tracedSoFar = tracer.finishedSpans.count
                let bytes = try await response.body.collect(upTo: 10_000).readableBytes
                return (tracedSoFar, bytes)
            }
        }
        #expect(body.0 == 0, "the span lasts until the body is read")
        #expect(body.1 == 5000)
        let spans = try await Self.finishedSpans(tracer, count: 2)
        let span = try #require(spans.first { $0.operationName == "GET" })
        let parent = try #require(spans.first { $0.operationName == "parent" })
        #expect(span.kind == .client)
        #expect(span.traceID == parent.traceID)
        #expect(span.parentSpanID == parent.spanID)
        #expect(span.attributes["http.request.method"]?.toSpanAttribute() == "GET")
        #expect(span.attributes["url.full"]?.toSpanAttribute() == .string(server.url("/bytes/5000?x=1")))
        #expect(span.attributes["server.address"]?.toSpanAttribute() == "127.0.0.1")
        #expect(span.attributes["server.port"]?.toSpanAttribute() == .int64(Int64(server.port)))
        #expect(span.attributes["http.response.status_code"]?.toSpanAttribute() == 200)
        let protocolVersion: SpanAttribute = version == .http1Only ? "1.1" : "2"
        #expect(span.attributes["network.protocol.version"]?.toSpanAttribute() == protocolVersion)
        #expect(span.attributes["error.type"] == nil)
        #expect(span.status == nil)
        let received = try #require(server.recorder.requests(path: "/bytes/5000").first)
        #expect(received.headerFields[HTTPField.Name("traceparent")!] == "00-\(span.traceID)-\(span.spanID)-01")
        await client.shutdown()
        await server.shutdown()
    }

    @Test func errorStatusesAndFailuresSetErrorType() async throws {
        let server = try await TestServer.start()
        let tracer = W3CTestTracer()
        let client = Self.client(tracer)
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        try await withTimeout {
            _ = try await client.get(server.url("/status/503")).body.collect(upTo: 1000)
            _ = try? await client.get("http://127.0.0.1:\(port)/nobody")
            // The body is cut after 1000 bytes: the span records the body's failure.
            _ = try? await client.get(server.url("/bytes/100000?fault=reset&at=1000")).body.collect(upTo: 1 << 20)
        }
        let spans = try await Self.finishedSpans(tracer, count: 3)
        let unavailable = try #require(spans.first { $0.attributes["http.response.status_code"]?.toSpanAttribute() == 503 })
        #expect(unavailable.attributes["error.type"]?.toSpanAttribute() == "503")
        #expect(unavailable.status?.code == .error)
        let refused = try #require(spans.first { ($0.attributes["url.full"]?.toSpanAttribute()).map { "\($0)".contains("/nobody") } == true })
        #expect(refused.attributes["error.type"]?.toSpanAttribute() == "connectFailed")
        #expect(refused.attributes["http.response.status_code"] == nil)
        #expect(refused.errors.count == 1)
        let cut = try #require(spans.first { ($0.attributes["url.full"]?.toSpanAttribute()).map { "\($0)".contains("fault=reset") } == true })
        #expect(cut.attributes["http.response.status_code"]?.toSpanAttribute() == 200)
        #expect(cut.attributes["error.type"] != nil)
        #expect(cut.status?.code == .error)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func eachRedirectHopIsItsOwnSpan() async throws {
        let server = try await TestServer.start()
        let tracer = W3CTestTracer()
        let client = Self.client(tracer)
        _ = try await withTimeout { try await client.get(server.url("/redirect/2")).body.collect(upTo: 1000) }
        let spans = try await Self.finishedSpans(tracer, count: 3)
        let codes = spans.compactMap { $0.attributes["http.response.status_code"]?.toSpanAttribute() }
        #expect(codes.filter { $0 == 302 }.count == 2)
        #expect(codes.filter { $0 == 200 }.count == 1)
        let sent = server.recorder.requests.compactMap { $0.headerFields[HTTPField.Name("traceparent")!] }
        #expect(Set(sent).count == 3, "every hop carries its own span's context")
        await client.shutdown()
        await server.shutdown()
    }

    @Test func aDroppedBodyEndsTheSpanAndTheHeadCanEndItInstead() async throws {
        let server = try await TestServer.start()
        let tracer = W3CTestTracer()
        let client = Self.client(tracer)
        try await withTimeout {
            let response = try await client.get(server.url("/bytes/100000"))
            #expect(response.status == .ok)
        }
        #expect(try await Self.finishedSpans(tracer, count: 1).count == 1)
        let headTracer = W3CTestTracer()
        let headClient = Self.client(headTracer) { $0.spanCoversBody = false }
        let response = try await withTimeout { try await headClient.get(server.url("/bytes/10")) }
        #expect(headTracer.finishedSpans.count == 1, "ended at the head, before the body is read")
        _ = try await withTimeout { try await response.body.collect(upTo: 100) }
        await client.shutdown()
        await headClient.shutdown()
        await server.shutdown()
    }

    @Test func attributesForUnusualMethodsCredentialsAndSignedURLs() async throws {
        let tracer = W3CTestTracer()
        var tracing = TracingMiddleware.Configuration(tracer: tracer)
        tracing.injectsContext = false
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [TracingMiddleware(configuration: tracing)]
        configuration.transport = .mock { request in
            #expect(request.head.headerFields[HTTPField.Name("traceparent")!] == nil)
            return HTTPClientResponse(head: HTTPResponse(status: .ok), version: .http2)
        }
        let client = HTTPClient(configuration: configuration)
        try await withTimeout {
            let purge = HTTPRequest(method: HTTPRequest.Method("PURGE")!, scheme: "https", authority: "user:pw@[::1]:8443",
                                    path: "/a?Signature=secret&keep=1&sig=x")
            _ = try await client.execute(purge).body.collect(upTo: 10)
            _ = try await client.execute(HTTPRequest(method: .get, scheme: "https", authority: "example.com", path: "/"))
                .body.collect(upTo: 10)
        }
        let spans = try await Self.finishedSpans(tracer, count: 2)
        let purge = try #require(spans.first { $0.operationName == "PURGE" })
        #expect(purge.attributes["http.request.method"]?.toSpanAttribute() == "_OTHER")
        #expect(purge.attributes["http.request.method_original"]?.toSpanAttribute() == "PURGE")
        #expect(purge.attributes["url.full"]?.toSpanAttribute() == "https://[::1]:8443/a?Signature=REDACTED&keep=1&sig=REDACTED")
        #expect(purge.attributes["server.address"]?.toSpanAttribute() == "::1")
        #expect(purge.attributes["server.port"]?.toSpanAttribute() == 8443)
        #expect(purge.attributes["network.protocol.version"]?.toSpanAttribute() == "2")
        let get = try #require(spans.first { $0.operationName == "GET" })
        #expect(get.attributes["server.port"]?.toSpanAttribute() == 443)
        #expect(get.attributes["url.full"]?.toSpanAttribute() == "https://example.com/")
        await client.shutdown()
    }
}
