import CourierCore
import CourierTestServer
import CourierTestSupport
import HTTPTypes
import Testing

@Suite("HTTP/1.1 serving")
struct HTTP1ServingTests {
    @Test("a route answers, the request is recorded")
    func routeAnswers() async throws {
        try await withServer { server in
            server.route(.get, "/hello/:name") { request in
                .text("hello \(request.parameters["name"] ?? "?") via \(request.httpVersion)")
            }
            let client = try rawClient(server)
            try await client.send(get("/hello/world?x=1"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyString == "hello world via HTTP/1.1")
            #expect(response.header("content-length") == "24")
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded.first?.target == "/hello/world?x=1")
            #expect(recorded.first?.path == "/hello/world")
            #expect(recorded.first?.responseStatus == 200)
            #expect(recorded.first?.headerFields[HTTPField.Name("host")!] == "localhost")
        }
    }

    @Test("keep-alive: requests share a connection, numbered in order")
    func keepAlive() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            for number in 1...3 {
                try await client.send(get("/connection-info"))
                let response = try await client.readResponse()
                #expect(response.bodyString == "connection=1 request=\(number) version=HTTP/1.1\n")
                #expect(response.header("connection") == nil)
            }
            #expect(server.recorder.connectionsAccepted == 1)
        }
    }

    @Test("pipelined requests are answered in order, a slow first one included")
    func pipelining() async throws {
        try await withServer { server in
            server.route(.get, "/slow") { _ in
                try await Task.sleep(for: .milliseconds(50))
                return .text("slow")
            }
            let client = try rawClient(server)
            try await client.send(get("/slow") + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                                  + get("/status/201") + get("/bytes/10", "Connection: close\r\n"))
            #expect(try await client.readResponse().bodyString == "slow")
            let echo = try await client.readResponse()
            #expect(echo.bodyString == "hello")
            #expect(echo.header("x-echo-method") == "POST")
            #expect(try await client.readResponse().status == 201)
            let last = try await client.readResponse()
            #expect(last.body == (0..<10).map { TestPattern.byte(at: $0) })
            #expect(last.header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)
            #expect(server.recorder.requests.map(\.requestNumberOnConnection) == [1, 2, 3, 4])
        }
    }

    @Test("Expect: 100-continue is answered when the handler reads the body")
    func expectContinue() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.readResponse()
            #expect(interim.status == 100)
            try await client.send("data")
            let final = try await client.readResponse()
            #expect(final.status == 200)
            #expect(final.bodyString == "data")
            // The connection stays usable.
            try await client.send(get("/status/204"))
            #expect(try await client.readResponse().status == 204)
        }
    }

    @Test("a handler that rejects without reading sends no 100 and closes the connection")
    func expectContinueRejected() async throws {
        try await withServer { server in
            server.route(.put, "/upload-denied") { _ in .status(.forbidden) }
            let client = try rawClient(server)
            try await client.send("PUT /upload-denied HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 403)
            #expect(response.header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)
        }
    }

    @Test("continueBehavior .immediately: 100 Continue as soon as the head arrives, before the handler runs")
    func expectContinueImmediately() async throws {
        var configuration = TestServer.Configuration()
        configuration.continueBehavior = .immediately
        try await withServer(configuration) { server in
            let gate = AsyncStream<Void>.makeStream()
            server.route(.post, "/later") { request in
                for await _ in gate.stream { break }
                return .text(try await request.body.collectString())
            }
            let client = try rawClient(server)
            try await client.send("POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await client.readResponse().status == 100)
            try await client.send("ok")
            gate.continuation.yield()
            #expect(try await client.readResponse().bodyString == "ok")
        }
    }

    @Test("continueBehavior .never: the client sends the body unasked and gets its answer")
    func expectContinueNever() async throws {
        var configuration = TestServer.Configuration()
        configuration.continueBehavior = .never
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
            let nothing = try await client.readAvailable(timeout: .milliseconds(100))
            #expect(nothing.bytes.isEmpty)
            try await client.send("abc")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyString == "{\"bytes\":3}")
        }
    }

    @Test("chunked request bodies reach the handler with their trailers")
    func chunkedRequestBody() async throws {
        try await withServer { server in
            let seen = Locked<(String, String?)>(("", nil))
            server.route(.post, "/chunks") { request in
                let body = try await request.body.collectString()
                seen.withLock { $0 = (body, request.body.trailers?[HTTPField.Name("x-checksum")!]) }
                return .text("ok")
            }
            let client = try rawClient(server)
            try await client.send("POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n")
            #expect(try await client.readResponse().bodyString == "ok")
            #expect(seen.withLock { $0.0 } == "hello world")
            #expect(seen.withLock { $0.1 } == "42")
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].bodyString == "hello world")
            #expect(recorded[0].trailers?[HTTPField.Name("x-checksum")!] == "42")
        }
    }

    @Test("the request body is streamed with backpressure: the server stops reading while the handler waits")
    func requestBodyBackpressure() async throws {
        let size = 4 << 20
        try await withServer { server in
            let gate = AsyncStream<Void>.makeStream()
            server.route(.post, "/gated") { request in
                for await _ in gate.stream { break }
                var received = 0
                var intact = true
                for try await chunk in request.body {
                    intact = intact && TestPattern.matches(chunk, offset: received)
                    received += chunk.readableBytes
                }
                return .text("\(received) \(intact)")
            }
            let client = try rawClient(server)
            let upload = Task {
                try await client.send("POST /gated HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
                var offset = 0
                while offset < size {
                    let piece = min(1 << 20, size - offset)
                    try await client.send(TestPattern.bytes(offset: offset, count: piece))
                    offset += piece
                }
            }
            // Wait for the body to start arriving, then give a server without backpressure time to take it all.
            while server.requests.first.map({ $0.bodyLength == 0 }) ?? true { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(300))
            let buffered = server.requests[0].bodyLength
            #expect(buffered < 2 << 20, "the server read \(buffered) bytes the handler did not ask for")
            gate.continuation.yield()
            try await upload.value
            let response = try await client.readResponse()
            #expect(response.bodyString == "\(size) true")
        }
    }

    @Test("HEAD gets the head of GET without the body; the connection stays usable")
    func headRequest() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("HEAD /bytes/1000 HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try await client.readResponse(headRequest: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "1000")
            try await client.send("HEAD /ndjson/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            let streamed = try await client.readResponse(headRequest: true)
            #expect(streamed.header("transfer-encoding") == "chunked")
            try await client.send(get("/status/202"))
            #expect(try await client.readResponse().status == 202)
        }
    }

    @Test("unknown paths answer 404, other methods 405")
    func notFoundAndMethodNotAllowed() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/nowhere"))
            #expect(try await client.readResponse().status == 404)
            try await client.send("DELETE /headers HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await client.readResponse().status == 405)
        }
    }

    @Test("a handler that throws answers 500 and is recorded")
    func handlerThrows() async throws {
        struct Broken: Error {}
        try await withServer { server in
            server.route(.get, "/broken") { _ in throw Broken() }
            let client = try rawClient(server)
            try await client.send(get("/broken"))
            #expect(try await client.readResponse().status == 500)
            #expect(server.recorder.handlerErrors.count == 1)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().status == 200)
        }
    }

    @Test("a head the serializer refuses becomes a 500; a body shorter than declared closes the connection")
    func invalidResponses() async throws {
        try await withServer { server in
            server.route(.get, "/bad-status") { _ in TestResponse(status: HTTPResponse.Status(code: 150)) }
            server.route(.get, "/short-body") { _ in
                TestResponse(body: .generate(length: 10) { writer in try await writer.write("12345") })
            }
            let client = try rawClient(server)
            try await client.send(get("/bad-status"))
            #expect(try await client.readResponse().status == 500)
            try await client.send(get("/short-body"))
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("\r\n\r\n12345"))
            #expect(ending == .closed)
            #expect(server.recorder.handlerErrors.count == 2)
        }
    }

    @Test("malformed requests get 400 (431 for huge heads) and the connection closes")
    func malformedRequests() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)

            let big = try rawClient(server)
            try await big.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n")
            #expect(try await big.readResponse().status == 431)
            #expect(server.recorder.protocolErrors.count == 2)
        }
    }

    @Test("HTTP/1.0: streamed bodies get a Content-Length, the connection closes unless kept alive")
    func http10() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("GET /ndjson/3 HTTP/1.0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.header("content-length") == "36")
            #expect(response.bodyString == "{\"index\":0}\n{\"index\":1}\n{\"index\":2}\n")
            #expect(try await client.waitForEnd() == .closed)

            let keptAlive = try rawClient(server)
            try await keptAlive.send("GET /connection-info HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try await keptAlive.readResponse()
            #expect(first.header("connection") == "keep-alive")
            try await keptAlive.send("GET /connection-info HTTP/1.0\r\n\r\n")
            #expect(try await keptAlive.readResponse().bodyString.contains("request=2 version=HTTP/1.0"))
            #expect(try await keptAlive.waitForEnd() == .closed)
        }
    }

    @Test("an absolute-form target is routed by its path, its authority recorded")
    func absoluteForm() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("GET http://example.test:8080/status/203?a=b HTTP/1.1\r\nHost: example.test:8080\r\n\r\n")
            #expect(try await client.readResponse().status == 203)
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].target == "/status/203?a=b")
            #expect(recorded[0].authority == "example.test:8080")
        }
    }

    @Test("Connection: close from the client is honoured and echoed")
    func clientConnectionClose() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/status/200", "Connection: close\r\n"))
            #expect(try await client.readResponse().header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)
            try await server.recorder.waitForOpenConnections(0)
        }
    }

    @Test("streamed responses: chunked with trailers, NDJSON and SSE built-ins")
    func streamedResponses() async throws {
        try await withServer { server in
            server.route(.get, "/with-trailers") { _ in
                TestResponse(body: .generate { writer in
                    try await writer.write("part one, ")
                    try await writer.write("part two")
                }, trailers: [HTTPField.Name("x-digest")!: "abc"])
            }
            let client = try rawClient(server)
            try await client.send(get("/with-trailers"))
            let response = try await client.readResponse()
            #expect(response.bodyString == "part one, part two")
            #expect(response.chunkSizes == [10, 8])
            #expect(response.trailers.first?.name == "x-digest")
            try await client.send(get("/ndjson/2"))
            #expect(try await client.readResponse().bodyString == "{\"index\":0}\n{\"index\":1}\n")
            try await client.send(get("/sse/1"))
            let events = try await client.readResponse()
            #expect(events.header("content-type") == "text/event-stream")
            #expect(events.bodyString == "id: 0\nevent: message\ndata: {\"index\":0}\n\n")
        }
    }

    @Test("/echo returns body and fields, /echo/stream streams a chunked upload back")
    func echoRoutes() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("POST /echo?q=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nX-Custom: yes\r\nContent-Length: 3\r\n\r\nabc")
            let echo = try await client.readResponse()
            #expect(echo.bodyString == "abc")
            #expect(echo.header("x-echo-x-custom") == "yes")
            #expect(echo.header("x-echo-content-length") == "3")
            #expect(echo.header("x-echo-target") == "/echo?q=1")
            #expect(echo.header("content-type") == "text/plain")
            try await client.send("POST /echo/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            let streamed = try await client.readResponse()
            #expect(streamed.bodyString == "abcde")
            try await client.send(get("/headers", "X-Test: 1\r\n"))
            #expect(try await client.readResponse().bodyString == "Host: localhost\nX-Test: 1\n")
        }
    }

    @Test("/status/N with Retry-After and Location; /redirect chains")
    func statusAndRedirects() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/status/503?retry-after=7"))
            let unavailable = try await client.readResponse()
            #expect(unavailable.status == 503)
            #expect(unavailable.header("retry-after") == "7")
            try await client.send(get("/redirect/2?status=307"))
            let first = try await client.readResponse()
            #expect(first.status == 307)
            #expect(first.header("location") == "/redirect/1?status=307")
            try await client.send(get("/redirect/0"))
            #expect(try await client.readResponse().bodyString == "redirects done\n")
            try await client.send(get("/redirect-to?url=http%3A%2F%2Fother.test%2F"))
            #expect(try await client.readResponse().header("location") == "http://other.test/")
            try await client.send(get("/status/abc"))
            #expect(try await client.readResponse().status == 400)
        }
    }

    @Test("a response sent before the request body arrived: the rest is discarded, the connection goes on")
    func earlyResponse() async throws {
        try await withServer { server in
            server.route(.post, "/early") { _ in .text("early") }
            let client = try rawClient(server)
            try await client.send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
            #expect(try await client.readResponse().bodyString == "early")
            try await client.send([UInt8](repeating: 0x61, count: 200_000))
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().status == 200)
            let recorded = try await server.recorder.waitForRequests(count: 2)
            #expect(recorded[0].bodyLength == 200_000)
        }
    }

    @Test("interim responses precede the final one")
    func informational() async throws {
        try await withServer { server in
            server.route(.get, "/hints") { _ in
                var response = TestResponse.text("final")
                response.informational = [(status: HTTPResponse.Status(code: 103), headerFields: [HTTPField.Name("link")!: "</style.css>; rel=preload"])]
                return response
            }
            let client = try rawClient(server)
            try await client.send(get("/hints"))
            let hints = try await client.readResponse()
            #expect(hints.status == 103)
            #expect(hints.header("link") == "</style.css>; rel=preload")
            #expect(try await client.readResponse().bodyString == "final")
        }
    }

    @Test("injected responses come first, then the route; later routes override earlier ones")
    func injectionAndOverride() async throws {
        try await withServer { server in
            server.route(.get, "/flaky") { _ in .text("first route") }
            server.route(.get, "/flaky") { _ in .text("second route") }
            server.injectResponse(.serviceUnavailable(retryAfter: .milliseconds(1500)), count: 2, path: "/flaky")
            let client = try rawClient(server)
            for _ in 0..<2 {
                try await client.send(get("/flaky"))
                let response = try await client.readResponse()
                #expect(response.status == 503)
                #expect(response.header("retry-after") == "2")
            }
            try await client.send(get("/flaky"))
            #expect(try await client.readResponse().bodyString == "second route")
            #expect(server.recorder.requestCount(path: "/flaky") == 3)
        }
    }

    @Test("the fallback answers unrouted requests")
    func fallback() async throws {
        try await withServer { server in
            server.setFallback { request in .text("fallback for \(request.path)") }
            let client = try rawClient(server)
            try await client.send(get("/anything/else"))
            #expect(try await client.readResponse().bodyString == "fallback for /anything/else")
        }
    }

    @Test("IPv6 and Unix domain socket servers")
    func otherAddresses() async throws {
        var ipv6 = TestServer.Configuration()
        ipv6.bindTarget = .loopbackIPv6
        try await withServer(ipv6) { server in
            #expect(server.baseURL == "http://[::1]:\(server.port)")
            let client = try rawClient(server)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().status == 200)
        }
        var unix = TestServer.Configuration()
        let path = "/tmp/courier-test-server-\(UInt32.random(in: 0...UInt32.max)).sock"
        unix.bindTarget = .unixSocket(path: path)
        try await withServer(unix) { server in
            #expect(server.baseURL == "http://localhost")
            let client = try rawClient(server)
            try await client.send(get("/connection-info"))
            #expect(try await client.readResponse().status == 200)
        }
    }
}
