import CourierCore
import CourierReactor
import CourierTestServer
import CourierTestSupport
import Testing

@Suite("Connection policies, recording and shutdown")
struct ConnectionPolicyTests {
    @Test("idle keep-alive connections close silently after the idle timeout")
    func idleTimeout() async throws {
        var configuration = TestServer.Configuration()
        configuration.idleTimeout = .milliseconds(100)
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            let start = ContinuousClock.now
            try await client.send(get("/status/200"))
            let response = try await client.readResponse()
            #expect(response.header("connection") == nil)
            #expect(try await client.waitForEnd() == .closed)
            #expect(ContinuousClock.now - start >= .milliseconds(100))
            // A connection that never sends a request is closed too.
            let silent = try rawClient(server)
            #expect(try await silent.waitForEnd() == .closed)
        }
    }

    @Test("a busy connection is not closed by the idle timeout")
    func idleTimeoutSparesBusyConnections() async throws {
        var configuration = TestServer.Configuration()
        configuration.idleTimeout = .milliseconds(50)
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            try await client.send(get("/delay/200"))
            #expect(try await client.readResponse().bodyString == "delayed 200 ms\n")
        }
    }

    @Test("the request limit closes the connection after N requests, announced")
    func requestLimitAnnounced() async throws {
        var configuration = TestServer.Configuration()
        configuration.maximumRequestsPerConnection = 2
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().header("connection") == nil)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)
        }
    }

    @Test("the request limit can close silently, leaving the client a stale connection")
    func requestLimitSilent() async throws {
        var configuration = TestServer.Configuration()
        configuration.maximumRequestsPerConnection = 1
        configuration.announcesConnectionClose = false
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().header("connection") == nil)
            #expect(try await client.waitForEnd() == .closed)
        }
    }

    @Test("recorded bodies are capped, lengths are not; counters and reset")
    func recording() async throws {
        var configuration = TestServer.Configuration()
        configuration.recordedBodyLimit = 10
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz")
            #expect(try await client.readResponse().bodyString == "{\"bytes\":26}")
            try await client.send(get("/status/200"))
            _ = try await client.readResponse()
            let other = try rawClient(server)
            try await other.send(get("/status/200"))
            _ = try await other.readResponse()
            let recorded = try await server.recorder.waitForRequests(count: 3)
            #expect(recorded[0].bodyString == "abcdefghij")
            #expect(recorded[0].bodyLength == 26)
            #expect(recorded[0].isComplete)
            #expect(recorded.map(\.sequenceNumber) == [1, 2, 3])
            #expect(recorded.map(\.connectionID) == [1, 1, 2])
            #expect(server.recorder.requestCount == 3)
            #expect(server.recorder.requestCount(path: "/status/200") == 2)
            #expect(server.recorder.requestsPerPath == ["/upload": 1, "/status/200": 2])
            #expect(server.recorder.connectionsAccepted == 2)
            #expect(server.recorder.openConnections == 2)
            server.recorder.reset()
            #expect(server.requests.isEmpty)
            #expect(server.recorder.requestCount == 0)
            #expect(server.recorder.openConnections == 2)
        }
    }

    @Test("a request cut off by the client is recorded as incomplete, with the reason")
    func incompleteRequest() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
            while server.requests.first?.bodyLength != 9 { try await Task.sleep(for: .milliseconds(2)) }
            client.close()
            try await server.recorder.waitForOpenConnections(0)
            let recorded = server.requests[0]
            #expect(!recorded.isComplete)
            #expect(recorded.failure != nil)
            #expect(recorded.bodyString == "only part")
            #expect(server.recorder.protocolErrors.isEmpty)
        }
    }

    @Test("the recorder keeps the most recent requests up to its capacity")
    func recordingCapacity() async throws {
        var configuration = TestServer.Configuration()
        configuration.recordingCapacity = 3
        try await withServer(configuration) { server in
            let client = try rawClient(server)
            for index in 0..<10 {
                try await client.send(get("/status/200?i=\(index)"))
                _ = try await client.readResponse()
            }
            #expect(server.requests.map(\.target) == ["/status/200?i=7", "/status/200?i=8", "/status/200?i=9"])
            #expect(server.recorder.requestCount == 10)
        }
    }

    @Test("a cancelled wait on the recorder ends with CancellationError")
    func cancelledWait() async throws {
        try await withServer { server in
            let waiting = Task { try await server.recorder.waitForRequests(count: 1) }
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            await #expect(throws: TimeoutError.self) {
                try await withTimeout(.milliseconds(50)) { try await server.recorder.waitForConnections(count: 1) }
            }
        }
    }

    @Test("shutdown closes open connections and cancels running handlers; no socket leaks")
    func shutdown() async throws {
        let group = try EventLoopGroup(loopCount: 1, name: "shutdown-test")
        var configuration = TestServer.Configuration()
        configuration.eventLoopGroup = group
        let server = try await TestServer.start(configuration)
        let idle = try rawClient(server)
        try await idle.send(get("/status/200"))
        _ = try await idle.readResponse()
        let busy = try rawClient(server)
        try await busy.send(get("/delay/60000"))
        try await server.recorder.waitForRequests(count: 2)
        // The listener and the two accepted sockets (another test's server that just released this port may
        // still be closing its own, so compare identities rather than counts).
        let ours = Set(openSockets(localPort: server.port))
        #expect(ours.count >= 3)
        try await withTimeout(.seconds(10)) { await server.shutdown() }
        #expect(server.recorder.openConnections == 0)
        #expect(try await idle.waitForEnd() == .closed)
        #expect(try await busy.waitForEnd() == .closed)
        idle.close()
        busy.close()
        // The listener is gone: nobody accepts any more.
        #expect(throws: RawClientError.self) { try RawClient(port: server.port) }
        #expect(Set(openSockets(localPort: server.port)).isDisjoint(with: ours))
        // The cancelled handler is not reported as a failure.
        #expect(server.recorder.handlerErrors.isEmpty)
        await group.shutdown()
    }

    @Test("many concurrent connections are served")
    func concurrency() async throws {
        try await withServer { server in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let client = try rawClient(server)
                        try await client.send(get("/bytes/\(index * 100)"))
                        let response = try await client.readResponse()
                        client.close()
                        return TestPattern.matches(response.body, offset: 0) ? response.body.count : -1
                    }
                }
                var total = 0
                for try await count in group { total += count }
                #expect(total == (0..<100).reduce(0) { $0 + $1 * 100 })
            }
            #expect(server.recorder.connectionsAccepted == 100)
        }
    }
}
