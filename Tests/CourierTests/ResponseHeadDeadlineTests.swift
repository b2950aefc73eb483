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
            try await withTimeout { try await client.execute(Self.request(server.url("/delay/5000"), deadlineIn: .milliseconds(200))) }
        }
        #expect(error?.code == .deadlineExceeded)
        // The request was sent: not safe to repeat blindly.
        #expect(error?.isSafeToRetry == false)
        try await withTimeout {
            while server.recorder.requestCount(path: "/delay/5000") == 0 { try await Task.sleep(for: .milliseconds(5)) }
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
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.pool.maximumConnectionsPerHost = 1
        let client = HTTPClient(configuration: configuration)
        // The only connection is busy with a slow request (cancelled at its own deadline).
        let busy = Task {
            try await client.execute(Self.request(server.url("/delay/3000"), deadlineIn: .seconds(1)))
        }
        try await withTimeout {
            while server.recorder.requestCount(path: "/delay/3000") == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { try await client.execute(Self.request(server.url("/status/200"), deadlineIn: .milliseconds(100))) }
        }
        #expect(error?.code == .deadlineExceeded)
        // It never left the client, so it is safe to send again.
        #expect(error?.isSafeToRetry == true)
        #expect(server.recorder.requestCount(path: "/status/200") == 0)
        let busyError = await #expect(throws: HTTPClientError.self) { try await withTimeout { try await busy.value } }
        #expect(busyError?.code == .deadlineExceeded)
        // The expired waiter holds nothing: the next request gets the connection.
        let next = try await withTimeout { try await client.get(server.url("/status/204")) }
        #expect(next.status.code == 204)
        await client.shutdown()
        await server.shutdown()
    }

    @Test func theBodyIsNotBoundedByTheHeadDeadline() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient(configuration: HTTPClient.Configuration())
        // The head comes at once; the body drips for longer than the deadline.
        let body = try await withTimeout {
            let response = try await client.execute(Self.request(server.url("/bytes/4000?drip=1000:150"), deadlineIn: .milliseconds(200)))
            return try await response.body.collect(upTo: 1 << 20)
        }
        #expect(body.readableBytes == 4000)
        await client.shutdown()
        await server.shutdown()
    }
}
