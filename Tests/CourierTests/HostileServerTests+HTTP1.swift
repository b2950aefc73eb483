import Testing
import Courier
import CourierTestServer
import CourierTestSupport

/// Scripted HTTP/1.1 servers and hostile bodies over both protocols: framing conflicts, bodies that never end
/// or exceed their limit, decompression bombs, redirect loops, slow drips and TLS truncation. Each request
/// ends with a typed error within its timeout, in bounded memory, and the connection is closed.
@Suite struct HostileHTTP1ServerTests {
    enum Transport: String, CaseIterable, Sendable { case http1, http2 }

    /// The in-process server (cleartext; HTTP/2 by prior knowledge) and a client for `transport`.
    static func server(_ transport: Transport, tls: Bool = false) async throws -> (TestServer, HTTPClient) {
        let server = try await TestServer.start(tls ? .tls() : TestServer.Configuration())
        let client = Hostile.client(http2: transport == .http2) { configuration in
            if tls {
                configuration.tls.trustRoots = server.trustRoots!
                if transport == .http2 { configuration.httpVersion = .automatic }
            }
        }
        return (server, client)
    }

    static func finish(_ client: HTTPClient, _ server: TestServer) async throws {
        try await withTimeout { await client.shutdown() }
        // Every connection the client opened is closed from its side too.
        try await withTimeout { try await server.recorder.waitForOpenConnections(0) }
        await server.shutdown()
    }

    @Test func contentLengthAndChunkedTogetherIsRefused() async throws {
        let peer = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil else { return }
            connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: false)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error?.code == .protocolViolation, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    /// Responses that desync or exhaust a parser (ATTACKS.md, HTTP/1.1), and the error each must end in.
    static let malformedResponses: [(name: String, response: String, expected: HTTPClientError.Code)] = [
        ("differing Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", .protocolViolation),
        ("Content-Length list that disagrees", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!", .protocolViolation),
        ("chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .protocolViolation),
        ("bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", .protocolViolation),
        ("bare CR in a field", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok", .protocolViolation),
        ("obs-fold", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", .protocolViolation),
        ("space before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", .protocolViolation),
        ("invalid chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", .protocolViolation),
        ("chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", .protocolViolation),
        ("endless chunk extension", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + String(repeating: "x", count: 100_000), .limitExceeded),
        ("header over the limit", "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "x", count: 100_000) + "\r\n\r\n", .limitExceeded),
        ("too many fields", "HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: b\r\n", count: 1000) + "\r\n", .limitExceeded),
        ("status line without end", "HTTP/1.1 200 " + String(repeating: "O", count: 100_000), .limitExceeded),
    ]

    @Test(arguments: malformedResponses.indices, [false, true])
    func malformedResponseFailsTyped(_ index: Int, split: Bool) async throws {
        // Sent whole, or after the head with a pause (the parser meets the rest in a later read).
        let (name, response, expected) = Self.malformedResponses[index]
        let peer = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil else { return }
            let bytes = Array(response.utf8)
            let cut = split ? (bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? bytes.count / 2) : bytes.count
            connection.send(Array(bytes[..<cut]))
            connection.pause(.milliseconds(20))
            connection.send(Array(bytes[cut...]))
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: false)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error?.code == expected, "\(name): \(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func infiniteChunkedBodyStopsAtTheCollectLimit() async throws {
        let peer = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil,
                  connection.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") else { return }
            let chunk = Array("4000\r\n".utf8) + [UInt8](repeating: 0x61, count: 0x4000) + Array("\r\n".utf8)
            while connection.send(chunk) {}
        }
        let client = Hostile.client(http2: false)
        let outcome = try await Hostile.fetch(client, peer.url("/"), bodyLimit: 1 << 20)
        #expect(outcome.error?.code == .limitExceeded, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func infiniteChunkedBodyStreamedEndsAtTheDeadline() async throws {
        let peer = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil,
                  connection.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") else { return }
            let chunk = Array("400\r\n".utf8) + [UInt8](repeating: 0x61, count: 0x400) + Array("\r\n".utf8)
            while connection.send(chunk) {}
        }
        let client = Hostile.client(http2: false)
        let outcome = try await withTimeout(.seconds(30)) { () -> HostileOutcome in
            var received = 0
            do {
                let response = try await client.get(peer.url("/"), timeout: .milliseconds(800))
                for try await chunk in response.body { received += chunk.readableBytes }
                return .success(status: response.head.status.code, bodyBytes: received)
            } catch {
                return .failed(error)
            }
        }
        #expect(outcome.error?.code == .deadlineExceeded, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test(arguments: Transport.allCases)
    func responseLargerThanTheBodyLimitFailsTyped(_ transport: Transport) async throws {
        let (server, client) = try await Self.server(transport)
        let outcome = try await Hostile.fetch(client, server.url("/bytes/50000000"), bodyLimit: 1 << 20)
        #expect(outcome.error?.code == .limitExceeded, "\(outcome)")
        try await Self.finish(client, server)
    }

    /// One gzip member of 1 MiB of zeros (about 1 KB); 1,024 of them in a row decode to 1 GiB.
    static let zerosMember = TestCompression.compress([UInt8](repeating: 0, count: 1 << 20), .gzip, level: 9)

    static func serveBomb(_ server: TestServer) {
        server.route(.get, "/bomb") { _ in
            TestResponse(headerFields: [.contentEncoding: "gzip"], body: .generate { writer in
                for _ in 0..<1024 { try await writer.write(Self.zerosMember) }
            })
        }
    }

    /// Reads the body as it streams, counting bytes without keeping them.
    static func drain(_ client: HTTPClient, _ url: String) async throws -> (HostileOutcome, Int) {
        try await withTimeout(.seconds(60)) {
            var received = 0
            do {
                let response = try await client.get(url)
                for try await chunk in response.body { received += chunk.readableBytes }
                return (.success(status: response.head.status.code, bodyBytes: received), received)
            } catch {
                return (.failed(error), received)
            }
        }
    }

    @Test(arguments: Transport.allCases)
    func decompressionBombStopsAtTheRatioLimit(_ transport: Transport) async throws {
        let (server, client) = try await Self.server(transport)
        Self.serveBomb(server)
        let (outcome, decoded) = try await Self.drain(client, server.url("/bomb"))
        #expect(outcome.error?.code == .limitExceeded, "\(outcome)")
        #expect((outcome.error?.underlying as? DecompressionError)?.code == .ratioLimitExceeded, "\(outcome)")
        #expect(decoded < 64 << 20, "decoded \(decoded) bytes before stopping")
        try await Self.finish(client, server)
    }

    @Test func decompressionBombStopsAtTheSizeLimitWithoutARatioLimit() async throws {
        let server = try await TestServer.start()
        Self.serveBomb(server)
        let client = Hostile.client(http2: false) { configuration in
            configuration.decompression.maximumRatio = nil
            configuration.decompression.maximumSize = 32 << 20
        }
        let (outcome, decoded) = try await Self.drain(client, server.url("/bomb"))
        #expect(outcome.error?.code == .limitExceeded, "\(outcome)")
        #expect((outcome.error?.underlying as? DecompressionError)?.code == .sizeLimitExceeded, "\(outcome)")
        #expect(decoded <= 32 << 20)
        try await Self.finish(client, server)
    }

    @Test(arguments: Transport.allCases)
    func redirectLoopIsDetected(_ transport: Transport) async throws {
        let (server, client) = try await Self.server(transport)
        server.route(.get, "/a") { _ in .redirect(to: "/b") }
        server.route(.get, "/b") { _ in .redirect(to: "/a") }
        let outcome = try await Hostile.fetch(client, server.url("/a"))
        #expect(outcome.error?.code == .redirectLoop, "\(outcome)")
        try await Self.finish(client, server)
    }

    @Test func endlessDistinctRedirectsStopAtTheMaximum() async throws {
        let server = try await TestServer.start()
        server.route(.get, "/hop/:n") { request in .redirect(to: "/hop/\(Int(request.parameters["n"]!)! + 1)") }
        let client = Hostile.client(http2: false)
        let outcome = try await Hostile.fetch(client, server.url("/hop/0"))
        #expect(outcome.error?.code == .tooManyRedirects, "\(outcome)")
        #expect(server.recorder.requestCount <= 11)
        try await Self.finish(client, server)
    }

    @Test(arguments: Transport.allCases)
    func slowlorisBodyEndsAtTheRequestTimeout(_ transport: Transport) async throws {
        // One byte every 50 ms keeps the read timeout from firing; the request's own timeout ends it.
        let (server, client) = try await Self.server(transport)
        server.route(.get, "/slow", faults: [.drip(bytes: 1, every: .milliseconds(50))]) { _ in
            TestResponse(body: .pattern(count: 100_000))
        }
        let outcome = try await withTimeout(.seconds(30)) { () -> HostileOutcome in
            do {
                let response = try await client.get(server.url("/slow"), timeout: .seconds(1))
                let body = try await response.body.collect(upTo: 1 << 20)
                return .success(status: response.head.status.code, bodyBytes: body.readableBytes)
            } catch {
                return .failed(error)
            }
        }
        #expect(outcome.error?.code == .deadlineExceeded, "\(outcome)")
        try await Self.finish(client, server)
    }

    @Test func slowlorisHeadEndsAtTheRequestTimeout() async throws {
        let peer = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil else { return }
            for byte in "HTTP/1.1 200 OK\r\nX-Slow: ".utf8 + [UInt8](repeating: 0x61, count: 10_000) {
                guard connection.send([byte]) else { return }
                connection.pause(.milliseconds(20))
            }
        }
        let client = Hostile.client(http2: false)
        let outcome = try await Hostile.fetch(client, peer.url("/"), timeout: .seconds(1))
        #expect(outcome.error?.code == .deadlineExceeded, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test(arguments: Transport.allCases, [true, false])
    func tlsCloseWithoutCloseNotifyMidBodyFails(_ transport: Transport, declaresLength: Bool) async throws {
        let (server, client) = try await Self.server(transport, tls: true)
        server.route(.get, "/cut", faults: [.dropConnection(at: .afterBodyBytes(20_000), closeNotify: false)]) { _ in
            TestResponse(body: .pattern(count: 100_000, chunkSize: 4096, declaresLength: declaresLength))
        }
        let outcome = try await Hostile.fetch(client, server.url("/cut"))
        #expect(outcome.error.map { [.connectionClosed, .tlsFailed].contains($0.code) } == true, "\(outcome)")
        try await Self.finish(client, server)
    }
}
