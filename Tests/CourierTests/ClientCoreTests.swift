import CourierCore
import Testing
import Courier
import CourierTestServer
import CourierTestSupport
import Foundation

/// The public client against the in-process server: bodies both ways, connection reuse, stale connections,
/// faults as typed errors, timeouts, cancellation and pool limits.
@Suite struct ClientCoreTests {
    static func client(_ configure: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configure(&configuration)
        return HTTPClient(configuration: configuration)
    }

    @Test func uploadsStreamedBytesAndFileBodiesExactly() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        let path = "/tmp/courier-upload-\(UInt32.random(in: 0...UInt32.max))"
        try Data(repeating: 0x42, count: 3_000_000).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let chunks = (0..<40).map { index in ByteBuffer(repeating: UInt8(index), count: 256 * 1024) }
        let answers = try await withTimeout {
            let streamed = try await client.post(server.url("/upload"), body: .stream(StreamOf(chunks)))
            let sized = try await client.post(server.url("/upload"), body: .stream(StreamOf(chunks), length: 40 * 256 * 1024))
            let file = try await client.post(server.url("/upload"), body: try .file(path: path))
            let bytes = try await client.post(server.url("/echo"), body: .string("exactly these bytes"))
            return [try await streamed.body.string(upTo: 100), try await sized.body.string(upTo: 100),
                    try await file.body.string(upTo: 100), try await bytes.body.string(upTo: 100)]
        }
        #expect(answers == [#"{"bytes":10485760}"#, #"{"bytes":10485760}"#, #"{"bytes":3000000}"#, "exactly these bytes"])
        await client.shutdown()
        await server.shutdown()
    }

    /// Fields HTTP/2 does not carry (RFC 9113 §8.2.2), and those its connection writes itself, are left out of
    /// an HTTP/2 request rather than refused, so a request built for HTTP/1.1 works on either protocol; `te:
    /// trailers` is kept and any other `te` dropped.
    @Test(arguments: ["trailers", "gzip"])
    func connectionSpecificFieldsAreLeftOutOverHTTP2(te: String) async throws {
        let server = try await TestServer.start()
        let client = Self.client { $0.httpVersion = .http2PriorKnowledge }
        var fields = HTTPFields()
        for (name, value) in [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Proxy-Connection", "keep-alive"),
                              ("Upgrade", "websocket"), ("Transfer-Encoding", "chunked"), ("Host", "elsewhere.example"),
                              ("Content-Length", "12345"), ("TE", te), ("X-Kept", "1"), ("Keep-Alive-Not", "2")] {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        let request = fields
        let status = try await withTimeout {
            let response = try await client.get(server.url("/status/200"), headerFields: request)
            _ = try await response.body.collect(upTo: 1024)
            return response.status.code
        }
        #expect(status == 200)
        let received = try #require(server.requests(path: "/status/200").first)
        #expect(received.protocolVersion == .http2)
        let names = Set(received.headerFields.map(\.name.canonicalName))
        for left in ["connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding", "host", "content-length"] {
            #expect(!names.contains(left), "\(left) was sent")
        }
        #expect(received.headerFields[HTTPField.Name("x-kept")!] == "1")
        #expect(received.headerFields[HTTPField.Name("keep-alive-not")!] == "2")
        #expect(received.headerFields[.te] == (te == "trailers" ? "trailers" : nil))
        #expect(received.authority == server.url("/").split(separator: "/")[1].description)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        let infos = try await withTimeout {
            var infos: [String] = []
            for _ in 0..<3 { infos.append(try await client.get(server.url("/connection-info")).body.string(upTo: 200)) }
            return infos
        }
        let connections = Set(infos.map { $0.split(separator: " ")[0] })
        #expect(connections.count == 1)
        #expect(infos.last?.contains("request=3") == true)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func requestsToAlternatingOriginsEachReachTheirOwnServer() async throws {
        let first = try await TestServer.start()
        let second = try await TestServer.start()
        let client = Self.client()
        let statuses = try await withTimeout {
            var statuses: [Int] = []
            for index in 0..<6 {
                let server = index % 2 == 0 ? first : second
                statuses.append(try await client.get(server.url("/status/200")).status.code)
            }
            // The same origin spelled with an upper-case scheme, and again the other one.
            let upper = "HTTP" + first.url("/status/204").dropFirst(4)
            statuses.append(try await client.get(String(upper)).status.code)
            statuses.append(try await client.get(second.url("/status/204")).status.code)
            return statuses
        }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 204, 204])
        #expect(first.requests(path: "/status/200").count == 3)
        #expect(second.requests(path: "/status/200").count == 3)
        #expect(first.requests(path: "/status/204").count == 1)
        #expect(second.requests(path: "/status/204").count == 1)
        #expect(first.recorder.connectionsAccepted == 1)
        #expect(second.recorder.connectionsAccepted == 1)
        await client.shutdown()
        await first.shutdown()
        await second.shutdown()
    }

    @Test func idempotentRequestOnAStaleConnectionIsRetriedAndAPostIsNot() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        try await withTimeout {
            // The first response is followed by a silent close: the pooled connection is stale on next use.
            server.injectFaults([.closeAfterResponse], count: 1, path: "/status/200")
            _ = try await client.get(server.url("/status/200")).body.collect(upTo: 100)
            // Let the close reach us? No: the stale detection must work however the race falls.
            let retried = try await client.get(server.url("/status/200"))
            #expect(retried.status == .ok)
        }
        #expect(server.recorder.requestCount(path: "/status/200") == 2)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func refusedRequestWithoutResponseIsNotDuplicatedForPost() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        server.injectFaults([.refuseStream], count: 1, path: "/upload")
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.post(server.url("/upload"), body: .string("once")) }
        }
        #expect(error?.code == .connectionClosed)
        #expect(server.recorder.requestCount(path: "/upload") <= 1)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func faultsBecomeTypedErrors() async throws {
        let server = try await TestServer.start()
        let client = Self.client { $0.timeouts.read = .milliseconds(300) }
        let cases: [(String, HTTPClientError.Code)] = [
            ("/bytes/100000?fault=reset&at=before-head", .connectionClosed),
            ("/bytes/100000?fault=drop&at=5000", .connectionClosed),
            ("/bytes/100000?fault=truncate&at=5000", .connectionClosed),
            ("/bytes/100000?fault=stall&at=after-head", .readTimeout),
            ("/bytes/100000?fault=stall&at=before-head", .readTimeout),
        ]
        for (path, expected) in cases {
            let error = await #expect(throws: HTTPClientError.self, "\(path)") {
                try await withTimeout {
                    let response = try await client.get(server.url(path))
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
            }
            #expect(error?.code == expected, "\(path): \(String(describing: error))")
        }
        // After all that, the client still works.
        let ok = try await withTimeout { try await client.get(server.url("/status/204")).status }
        #expect(ok == .noContent)
        await client.shutdown()
        await server.shutdown()
    }

    /// Silence is bounded per request on both protocols: a stalled response is a read timeout, an upload the
    /// server stops taking (full socket buffers on HTTP/1.1, a closed window on HTTP/2) a write timeout.
    @Test(arguments: [false, true])
    func silenceIsAReadOrWriteTimeout(http2: Bool) async throws {
        let server = try await TestServer.start()
        // Takes no body bytes and never answers (until the server shuts down).
        server.route(.post, "/hold") { _ in
            try await Task.sleep(for: .seconds(600))
            return .text("late")
        }
        let client = Self.client {
            $0.timeouts.read = .milliseconds(400)
            if http2 { $0.httpVersion = .http2PriorKnowledge }
        }
        for path in ["/bytes/100000?fault=stall&at=after-head", "/bytes/100000?fault=stall&at=before-head",
                     "/bytes/100000?fault=stall&at=3000"] {
            let error = await #expect(throws: HTTPClientError.self, "\(path)") {
                try await withTimeout { _ = try await client.get(server.url(path)).body.collect(upTo: 1 << 20) }
            }
            #expect(error?.code == .readTimeout, "\(path): \(String(describing: error))")
        }
        // 256 MiB offered lazily: far more than socket buffers and windows hold.
        let chunk = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        let total = 4096
        let chunks = AsyncStream<ByteBuffer> { continuation in
            for _ in 0..<total { continuation.yield(chunk) }
            continuation.finish()
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout {
                _ = try await client.post(server.url("/hold"), body: .stream(chunks, length: total * chunk.readableBytes))
            }
        }
        #expect(error?.code == .writeTimeout, "\(String(describing: error))")
        // The client still works.
        let ok = try await withTimeout { try await client.get(server.url("/status/204")).status }
        #expect(ok == .noContent)
        await client.shutdown()
        await server.shutdown()
    }

    /// `http+unix://` with the socket path percent-encoded as the host, on both protocols; the request goes out
    /// with `Host: localhost`.
    @Test(arguments: [false, true])
    func unixDomainSocketURLs(http2: Bool) async throws {
        let path = "/tmp/courier-client-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        var configuration = TestServer.Configuration()
        configuration.bindTarget = .unixSocket(path: path)
        let server = try await TestServer.start(configuration)
        let client = Self.client { if http2 { $0.httpVersion = .http2PriorKnowledge } }
        let encoded = path.replacingOccurrences(of: "/", with: "%2F")
        let body = try await withTimeout {
            try await client.get("http+unix://\(encoded)/bytes/5000").body.collect(upTo: 1 << 20)
        }
        #expect(body.readableBytes == 5000)
        let echoed = try await withTimeout {
            try await client.post("http+unix://\(encoded)/upload", body: .string("over a socket file")).body.string(upTo: 100)
        }
        #expect(echoed == #"{"bytes":18}"#)
        let recorded = server.requests(path: "/bytes/5000")
        #expect(recorded.first?.authority == "localhost")
        for bad in ["http+unix://relative.sock/x", "http+unix://%2Ftmp%2/x", "ftp+unix://%2Ftmp%2Fa.sock/x"] {
            let error = await #expect(throws: HTTPClientError.self, "\(bad)") { _ = try await client.get(bad) }
            #expect(error?.code == .invalidRequest)
        }
        await client.shutdown()
        await server.shutdown()
        unlink(path)
    }

    /// Request trailers, computed after the body, arrive on both protocols (chunked on HTTP/1.1 even for a
    /// body of known length).
    @Test(arguments: [false, true])
    func requestTrailersFollowTheBody(http2: Bool) async throws {
        let server = try await TestServer.start()
        let client = Self.client { if http2 { $0.httpVersion = .http2PriorKnowledge } }
        let sent = Locked(0)
        let chunks = (0..<8).map { _ in ByteBuffer(repeating: 0x62, count: 10_000) }
        let streamed = HTTPClientRequestBody.stream(StreamOf(chunks)).withTrailers {
            var fields = HTTPFields()
            fields[HTTPField.Name("x-checksum")!] = "computed-after-\(sent.withLock { $0 += 1; return $0 })"
            return fields
        }
        let bytes = HTTPClientRequestBody.string("short and known").withTrailers {
            var fields = HTTPFields()
            fields[HTTPField.Name("x-signature")!] = "abc"
            return fields
        }
        for (path, body, name, value, size) in [("/upload", streamed, "x-checksum", "computed-after-1", 80_000),
                                                 ("/upload?second", bytes, "x-signature", "abc", 15)] {
            let answer = try await withTimeout { try await client.post(server.url(path), body: body).body.string(upTo: 100) }
            #expect(answer == "{\"bytes\":\(size)}")
            let recorded = try #require(server.requests(path: "/upload").last)
            #expect(recorded.bodyLength == size)
            #expect(recorded.trailers?[HTTPField.Name(name)!] == value, "\(String(describing: recorded.trailers))")
        }
        await client.shutdown()
        await server.shutdown()
    }

    /// Pre-warmed connections are open before the first request and carry the requests that follow.
    @Test func prewarmedConnectionsCarryTheFirstRequests() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        try await withTimeout { try await client.prewarm(server.url("/"), connections: 3) }
        // The server records its accepts on its own loop, just after the client saw them complete.
        try await withTimeout { try await server.recorder.waitForOpenConnections(3) }
        #expect(server.recorder.connectionsAccepted == 3)
        #expect(server.recorder.requestCount(path: "/status/200") == 0)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { _ = try await client.get(server.url("/status/200")) } }
                try await group.waitForAll()
            }
        }
        #expect(server.recorder.connectionsAccepted == 3)
        // A closed port is a typed connect error.
        let closed = try ClosedPort()
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { try await client.prewarm("http://127.0.0.1:\(closed.port)/") }
        }
        #expect(error?.code == .connectFailed, "\(String(describing: error))")
        await client.shutdown()
        await server.shutdown()
    }

    /// An idle connection is reused within the pool's idle timeout and closed by the client after it, on
    /// both protocols.
    @Test(arguments: [false, true])
    func idleConnectionsAreReusedThenExpire(http2: Bool) async throws {
        let server = try await TestServer.start()
        let client = Self.client {
            $0.pool.idleTimeout = .seconds(3)   // long enough for three requests on a loaded machine
            if http2 { $0.httpVersion = .http2PriorKnowledge }
        }
        for _ in 0..<3 { _ = try await withTimeout { try await client.get(server.url("/status/200")) } }
        #expect(server.recorder.connectionsAccepted == 1)
        // The client closes the idle connection; the server sees it go.
        try await withTimeout { try await server.recorder.waitForOpenConnections(0) }
        _ = try await withTimeout { try await client.get(server.url("/status/200")) }
        #expect(server.recorder.connectionsAccepted == 2)
        await client.shutdown()
        await server.shutdown()
    }

    /// The idle timer is armed lazily (releases only move its deadline): when it fires while the connection
    /// is in use, the connection stays, and it closes an idle timeout after its last release.
    @Test func anIdleTimerFiringWhileTheConnectionIsInUseLeavesItOpen() async throws {
        let server = try await TestServer.start()
        // Long enough that the requests follow each other well within it under a sanitizer's load.
        let client = Self.client { $0.pool.idleTimeout = .seconds(4) }
        _ = try await withTimeout { try await client.get(server.url("/status/200")) }
        // In use when the timer armed by the first release fires.
        _ = try await withTimeout { try await client.get(server.url("/delay/5000")).body.collect(upTo: 1000) }
        _ = try await withTimeout { try await client.get(server.url("/status/200")) }
        #expect(server.recorder.connectionsAccepted == 1)
        try await withTimeout { try await server.recorder.waitForOpenConnections(0) }
        await client.shutdown()
        await server.shutdown()
    }

    /// The client-wide connection limit holds across origins: one origin cannot take more, and another origin
    /// gets a slot by closing an idle connection of the first.
    @Test func theClientWideConnectionLimitIsSharedByOrigins() async throws {
        let first = try await TestServer.start()
        let second = try await TestServer.start()
        let client = Self.client { $0.pool.maximumConnections = 2 }
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await client.get(first.url("/delay/50")) } }
                try await group.waitForAll()
            }
        }
        #expect(first.recorder.connectionsAccepted == 2)
        // Both slots are held by idle connections to the first origin: one of them makes way.
        let status = try await withTimeout { try await client.get(second.url("/status/200")).status }
        #expect(status == .ok)
        try await withTimeout { try await first.recorder.waitForOpenConnections(1) }
        #expect(first.recorder.connectionsAccepted == 2)
        #expect(second.recorder.openConnections == 1)
        // Both origins at once, many requests: all answered within the limit.
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    let server = index % 2 == 0 ? first : second
                    group.addTask { _ = try await client.get(server.url("/delay/5")) }
                }
                try await group.waitForAll()
            }
        }
        #expect(first.requests(path: "/delay/5").count == 20)
        #expect(second.requests(path: "/delay/5").count == 20)
        await client.shutdown()
        await first.shutdown()
        await second.shutdown()
    }

    @Test func totalTimeoutCoversTheBodyToo() async throws {
        let server = try await TestServer.start()
        let client = Self.client()
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout {
                let response = try await client.get(server.url("/bytes/1000000?drip=1000:50"), timeout: .milliseconds(300))
                _ = try await response.body.collect(upTo: 2 << 20)
            }
        }
        #expect(error?.code == .deadlineExceeded)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func cancellingARequestFreesItsConnectionSlot() async throws {
        let server = try await TestServer.start()
        let client = Self.client { $0.pool.maximumConnectionsPerHost = 1 }
        let slow = Task { try await client.get(server.url("/delay/20000")) }
        // Wait until the server has the slow request, so it holds the only connection.
        try await withTimeout { while server.recorder.requestCount(path: "/delay/20000") == 0 { await Task.yield() } }
        slow.cancel()
        let error = await #expect(throws: HTTPClientError.self) { try await withTimeout { _ = try await slow.value } }
        #expect(error?.code == .cancelled)
        let status = try await withTimeout(.seconds(5)) { try await client.get(server.url("/status/200")).status }
        #expect(status == .ok)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func poolLimitsHoldUnderAThousandConcurrentRequests() async throws {
        let server = try await TestServer.start()
        let client = Self.client {
            $0.pool.maximumConnectionsPerHost = 4
            // 250 requests queue per connection: on a loaded machine the last may wait longer than the default
            // acquire timeout. This test is about the connection limit; the run as a whole is bounded below.
            $0.timeouts.poolAcquire = .seconds(110)
        }
        let statuses = try await withTimeout(.seconds(120)) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<1000 {
                    group.addTask { try await client.get(server.url("/connection-info")).status.code }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        #expect(statuses.count == 1000)
        #expect(statuses.allSatisfy { $0 == 200 })
        let connections = Set(server.recorder.requests(path: "/connection-info").map(\.connectionID))
        #expect(connections.count <= 4)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func droppedResponseBodyDoesNotStallThePool() async throws {
        let server = try await TestServer.start()
        let client = Self.client { $0.pool.maximumConnectionsPerHost = 1 }
        try await withTimeout {
            for _ in 0..<5 {
                // Read the head only and drop the response: its body is cancelled and the slot freed.
                _ = try await client.get(server.url("/bytes/5000000"))
            }
            #expect(try await client.get(server.url("/status/200")).status == .ok)
        }
        await client.shutdown()
        await server.shutdown()
    }
}

/// A finite async sequence of chunks.
struct StreamOf: AsyncSequence, Sendable {
    let chunks: [ByteBuffer]
    init(_ chunks: [ByteBuffer]) { self.chunks = chunks }
    struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: IndexingIterator<[ByteBuffer]>
        mutating func next() async -> ByteBuffer? { chunks.next() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks.makeIterator()) }
}

extension ByteBuffer {
    init(repeating byte: UInt8, count: Int) {
        self.init(capacity: count)
        writeRepeating(byte, count: count)
    }
}

/// Calls the client from the main actor (a serial executor of its own, which a task's executor preference does
/// not move): the request runs there until its exchange, which must still run on the connection's event loop
/// (the exchange checks it with a precondition).
@MainActor
enum MainActorCaller {
    static func fetch(_ client: HTTPClient, _ url: String) async throws -> Int {
        // `execute` itself: the conveniences (`get`, `post`) leave the caller's isolation on entry.
        let response = try await client.execute(try HTTPClient.request(.get, url))
        return try await response.body.collect(upTo: 1 << 20).readableBytes
    }

    static func upload(_ client: HTTPClient, _ url: String, _ chunks: [ByteBuffer], length: Int) async throws -> Int {
        let response = try await client.execute(try HTTPClient.request(.post, url), body: .stream(StreamOf(chunks), length: length))
        return try await response.body.collect(upTo: 1 << 20).readableBytes
    }
}

@Suite struct MainActorCallerTests {
    @Test(arguments: [false, true])
    func requestsFromTheMainActorRunTheirExchangeOnTheLoop(http2: Bool) async throws {
        let server = try await TestServer.start()
        var configuration = HTTPClient.Configuration()
        if http2 { configuration.httpVersion = .http2PriorKnowledge }
        let client = HTTPClient(configuration: configuration)
        let received = try await withTimeout { try await MainActorCaller.fetch(client, server.url("/bytes/3000")) }
        #expect(received == 3000)
        let chunks = (0..<8).map { _ in ByteBuffer(repeating: 0x62, count: 4096) }
        let echoed = try await withTimeout { try await MainActorCaller.upload(client, server.url("/echo"), chunks, length: 8 * 4096) }
        #expect(echoed == 8 * 4096)
        await client.shutdown()
        await server.shutdown()
    }
}

@Suite struct HTTP2ClientTests {
    static func h2cClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http2PriorKnowledge
        return HTTPClient(configuration: configuration)
    }

    /// Sequential streams on one connection move more bytes than the connection window: each stream's bytes
    /// must be given back to the connection window, or the connection stalls.
    @Test func sequentialStreamsReturnTheirBytesToTheConnectionWindow() async throws {
        // A body cancelled before its DATA arrived resets its stream; on a slow machine (a sanitizer build)
        // that happens often enough to meet the server's reset-flood limit (200 per 30 s), whose GOAWAY would
        // move the rest to a second connection. This test is about window accounting, so the limit is raised.
        var configuration = TestServer.Configuration()
        configuration.http2.floodLimits.peerResets = .init(10_000, per: .seconds(30))
        let server = try await TestServer.start(configuration)
        let client = Self.h2cClient()
        // A timeout per request: a stalled window shows as the request that never completes, whatever the
        // machine's load makes of the whole run's duration.
        var total = 0
        for index in 0..<2500 {
            total += try await withTimeout(.seconds(30)) {
                let response = try await client.get(server.url("/bytes/4096"))
                if index % 2 == 0 { return try await response.body.collect(upTo: 8192).readableBytes }
                response.body.cancel()   // abandoned bodies must give their bytes back too
                return 4096
            }
        }
        #expect(total == 2500 * 4096)
        let recorded = server.requests(path: "/bytes/4096")
        // On failure, where the second connection began and how the first one's last requests ended.
        let switchIndex = recorded.firstIndex { $0.connectionID != recorded.first?.connectionID }
        let around = switchIndex.map { Array(recorded[max(0, $0 - 3)..<min(recorded.count, $0 + 2)]) } ?? []
        #expect(Set(recorded.map(\.connectionID)).count == 1,
                "connection changed at request \(switchIndex ?? -1): \(around.map { "\($0) failure=\($0.failure ?? "-")" })")
        await client.shutdown()
        await server.shutdown()
    }

    @Test func goAwayMidLoadLosesNoRequest() async throws {
        let server = try await TestServer.start()
        let client = Self.h2cClient()
        // Every 50th response closes its connection with GOAWAY; streams above its last id are retried.
        let statuses = try await withTimeout(.seconds(120)) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        if index % 50 == 0 { server.injectFaults([.goAway()], count: 1, path: "/status/200") }
                        return try await client.get(server.url("/status/200")).status.code
                    }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        #expect(statuses.count == 1000)
        #expect(statuses.allSatisfy { $0 == 200 })
        await client.shutdown()
        await server.shutdown()
    }

    /// An HTTP/2 connection lost with a stream still unanswered: the server may or may not have acted, so a
    /// GET is retried on a new connection and a POST fails with a typed error, sent once.
    @Test func lostHTTP2ConnectionRetriesUnansweredIdempotentRequestsOnly() async throws {
        let server = try await TestServer.start()
        let client = Self.h2cClient()
        server.injectFaults([.dropConnection(at: .beforeHead)], count: 1, path: "/status/200")
        let status = try await withTimeout { try await client.get(server.url("/status/200")).status.code }
        #expect(status == 200)
        #expect(server.requests(path: "/status/200").count == 2)

        server.injectFaults([.dropConnection(at: .beforeHead)], count: 1, path: "/upload")
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.post(server.url("/upload"), body: .string("once")) }
        }
        #expect(error?.code == .connectionClosed, "\(String(describing: error))")
        #expect(server.requests(path: "/upload").count == 1)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func refusedStreamIsRetriedOnAnotherStream() async throws {
        let server = try await TestServer.start()
        let client = Self.h2cClient()
        server.injectFaults([.refuseStream], count: 1, path: "/upload")
        let answer = try await withTimeout { try await client.post(server.url("/upload"), body: .string("twice?")).body.string(upTo: 100) }
        #expect(answer == #"{"bytes":6}"#)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func resetStreamIsATypedErrorAndTheConnectionStaysUsable() async throws {
        let server = try await TestServer.start()
        let client = Self.h2cClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get(server.url("/bytes/100000?fault=reset&at=1000")).body.collect(upTo: 1 << 20) }
        }
        #expect(error?.code == .streamReset)
        let status = try await withTimeout { try await client.get(server.url("/status/200")).status }
        #expect(status == .ok)
        await client.shutdown()
        await server.shutdown()
    }
}
