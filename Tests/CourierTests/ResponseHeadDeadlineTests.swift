import Testing
import Courier
import CourierCore
import CourierTestServer
import CourierTestSupport

/// `HTTPClientRequest.responseHeadDeadline`, the limit timeout middleware set: it bounds the wait for a pool
/// connection, the send and the wait for the head, fails with `deadlineExceeded`, and leaves the body alone.
@Suite struct ResponseHeadDeadlineTests {
    static func request(_ url: String, deadlineIn delay: Duration) throws -> HTTPClientRequest {
        HTTPClientRequest(head: try HTTPClient.request(.get, url), responseHeadDeadline: SystemClock.now() + delay)
    }

    @Test(arguments: [HTTPVersionPolicy.http1Only, .http2PriorKnowledge])
    func aLateHeadFailsTheRequestAndTheClientGoesOn(version: HTTPVersionPolicy) async throws {
        let server = try await TestServer.start()
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        let client = HTTPClient(configuration: configuration)
        // A connection is open first, so that the deadline falls while waiting for the head.
        _ = try await withTimeout { try await client.get(server.url("/status/204")) }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { try await client.execute(Self.request(server.url("/delay/10000"), deadlineIn: .seconds(1))) }
        }
        #expect(error?.code == .deadlineExceeded)
        // The request was sent: not safe to repeat blindly.
        #expect(error?.isSafeToRetry == false)
        try await withTimeout {
            while server.recorder.requestCount(path: "/delay/10000") == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        // The client (and, on HTTP/2, the connection) carries on.
        let next = try await withTimeout { try await client.get(server.url("/status/204")) }
        #expect(next.status.code == 204)
        if version == .http2PriorKnowledge { #expect(server.recorder.connectionsAccepted == 1) }
        await client.shutdown()
        await server.shutdown()
    }

    @Test func waitingForAConnectionCountsAndTheWaiterLeavesTheQueue() async throws {
        let server = try await TestServer.start()
        let (released, release) = AsyncStream<Void>.makeStream()
        server.route(.get, "/hold") { _ in
            for await _ in released { break }
            return .text("released")
        }
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.pool.maximumConnectionsPerHost = 1
        let client = HTTPClient(configuration: configuration)
        // The only connection is busy with a request the server holds.
        let busy = Task { try await client.get(server.url("/hold")) }
        try await withTimeout {
            while server.recorder.requestCount(path: "/hold") == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { try await client.execute(Self.request(server.url("/status/200"), deadlineIn: .milliseconds(100))) }
        }
        #expect(error?.code == .deadlineExceeded)
        // It never left the client, so it is safe to send again.
        #expect(error?.isSafeToRetry == true)
        #expect(server.recorder.requestCount(path: "/status/200") == 0)
        release.yield()
        let answer = try await withTimeout { try await busy.value.body.string(upTo: 100) }
        #expect(answer == "released")
        // The expired waiter holds nothing: the next request gets the connection.
        let next = try await withTimeout { try await client.get(server.url("/status/204")) }
        #expect(next.status.code == 204)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func theBodyIsNotBoundedByTheHeadDeadline() async throws {
        let server = try await TestServer.start()
        let opened = Locked(false)
        // The head goes at once; the body only once the test opens the gate, after the deadline passed.
        server.route(.get, "/gated") { _ in
            TestResponse(body: .generate(length: 5) { writer in
                while !opened.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                try await writer.write(Array("later".utf8))
            })
        }
        let client = HTTPClient(configuration: HTTPClient.Configuration())
        var answered = false
        // A machine too busy to deliver the head in time gets a longer limit: the head is not what is tested.
        for limit: Duration in [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8)] where !answered {
            let request = try Self.request(server.url("/gated"), deadlineIn: limit)
            let deadline = try #require(request.responseHeadDeadline)
            let response: HTTPClientResponse
            do {
                response = try await withTimeout { try await client.execute(request) }
            } catch let error as HTTPClientError where error.code == .deadlineExceeded {
                continue
            }
            try await withTimeout {
                while SystemClock.now() < deadline + .milliseconds(50) { try await Task.sleep(for: .milliseconds(10)) }
            }
            opened.withLock { $0 = true }
            let body = try await withTimeout { try await response.body.string(upTo: 100) }
            #expect(body == "later")
            answered = true
        }
        #expect(answered)
        await client.shutdown()
        await server.shutdown()
    }
}
