import Testing
import Courier
import CourierTestServer
import CourierTestSupport
import Synchronization
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
        let client = Self.client { $0.pool.maximumConnectionsPerHost = 4 }
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

@Suite struct HTTP2ClientTests {
    static func h2cClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http2PriorKnowledge
        return HTTPClient(configuration: configuration)
    }

    /// Sequential streams on one connection move more bytes than the connection window: each stream's bytes
    /// must be given back to the connection window, or the connection stalls.
    @Test func sequentialStreamsReturnTheirBytesToTheConnectionWindow() async throws {
        let server = try await TestServer.start()
        let client = Self.h2cClient()
        let total = try await withTimeout(.seconds(60)) {
            var total = 0
            for index in 0..<2500 {
                let response = try await client.get(server.url("/bytes/4096"))
                if index % 2 == 0 {
                    total += try await response.body.collect(upTo: 8192).readableBytes
                } else {
                    response.body.cancel()   // abandoned bodies must give their bytes back too
                    total += 4096
                }
            }
            return total
        }
        #expect(total == 2500 * 4096)
        #expect(Set(server.requests(path: "/bytes/4096").map(\.connectionID)).count == 1)
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
