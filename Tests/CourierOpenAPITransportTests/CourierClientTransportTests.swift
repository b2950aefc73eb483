import Testing
import Courier
import CourierOpenAPITransport
import CourierTestServer
import CourierTestSupport
import Foundation
import OpenAPIRuntime
import Synchronization

/// An OpenAPI-style client on `CourierClientTransport` against the in-process server: JSON both ways, bodies
/// streamed and checked byte for byte both ways, statuses and failures, cancellation.
@Suite struct CourierClientTransportTests {
    /// Starts a server with the items API under `/api`, and a client for it.
    static func start(_ configuration: TestServer.Configuration = TestServer.Configuration())
        async throws -> (TestServer, HTTPClient, ItemsAPIClient)
    {
        let server = try await TestServer.start(configuration)
        server.route(.post, "/api/items") { request in
            guard request.queryValue("source") == "test",
                  request.headerFields[.contentType] == "application/json; charset=utf-8" else {
                return .text("unexpected request \(request.target)", status: .badRequest)
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            var item = try JSONDecoder().decode(ItemsAPIClient.Item.self, from: Data(body.readableBytesView))
            guard !item.name.isEmpty else { return .text("name is required", status: .badRequest) }
            item.id = 42
            let json = String(decoding: try JSONEncoder().encode(item), as: UTF8.self)
            return .json(json, status: .created)
        }
        server.route(.get, "/api/items/:id") { request in
            guard request.parameters["id"] == "7" else { return .status(.notFound) }
            return .json(#"{"id":7,"name":"seven","tags":["a","b"]}"#)
        }
        server.route(.put, "/api/blobs/:name") { request in
            var offset = 0
            var intact = true
            for try await chunk in request.body {
                intact = intact && TestPattern.matches(chunk, offset: offset)
                offset += chunk.readableBytes
            }
            let framing = request.headerFields[.contentLength] == nil ? "chunked" : "sized"
            return .text("bytes=\(offset) intact=\(intact) \(framing)", status: .created)
        }
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.url("/api/"))!,
                                 transport: CourierClientTransport(client: client))
        return (server, client, api)
    }

    static func stop(_ server: TestServer, _ client: HTTPClient) async {
        await client.shutdown()
        await server.shutdown()
    }

    @Test func jsonRoundTripThroughTheBaseURLsPath() async throws {
        let (server, client, api) = try await Self.start()
        let (created, found, missing, rejected) = try await withTimeout {
            (try await api.createItem(.init(name: "widget", tags: ["x", "ü"])),
             try await api.getItem(id: 7),
             try await api.getItem(id: 8),
             try await api.createItem(.init(name: "", tags: [])))
        }
        #expect(created == .created(.init(id: 42, name: "widget", tags: ["x", "ü"])))
        #expect(found == .ok(.init(id: 7, name: "seven", tags: ["a", "b"])))
        #expect(missing == .notFound)
        #expect(rejected == .badRequest("name is required"))
        let recorded = server.recorder.requests(path: "/api/items")
        #expect(recorded.first?.target == "/api/items?source=test")
        #expect(recorded.first?.headerFields[.accept] == "application/json")
        await Self.stop(server, client)
    }

    @Test(arguments: [HTTPVersionPolicy.http1Only, .http2PriorKnowledge])
    func streamsALargeUploadOfUnknownLength(version: HTTPVersionPolicy) async throws {
        let server = try await TestServer.start()
        server.route(.put, "/blobs/:name") { request in
            var offset = 0
            var intact = true
            for try await chunk in request.body {
                intact = intact && TestPattern.matches(chunk, offset: offset)
                offset += chunk.readableBytes
            }
            return .text("bytes=\(offset) intact=\(intact)", status: .created)
        }
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        let client = HTTPClient(configuration: configuration)
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let total = 24 << 20
        let produced = ByteCounter()
        let body = HTTPBody(PatternChunks(total: total, chunkSize: 64 * 1024, produced: produced), length: .unknown,
                            iterationBehavior: .single)
        let (status, answer) = try await withTimeout(.seconds(120)) { try await api.uploadBlob(name: "big", body: body) }
        #expect(status == 201)
        #expect(answer == "bytes=\(total) intact=true")
        #expect(produced.count == total)
        await Self.stop(server, client)
    }

    @Test func aReplayableBodyWithKnownLengthIsSentAgainAcrossA307() async throws {
        let (server, client, api) = try await Self.start()
        server.route(.put, "/api/blobs/moved") { _ in .redirect(to: "/api/blobs/here", status: .temporaryRedirect) }
        let total = 3 << 20
        let body = HTTPBody(PatternChunks(total: total, chunkSize: 100_000),
                            length: .known(Int64(total)), iterationBehavior: .multiple)
        let (status, answer) = try await withTimeout(.seconds(60)) { try await api.uploadBlob(name: "moved", body: body) }
        #expect(status == 201)
        #expect(answer == "bytes=\(total) intact=true sized")
        #expect(server.recorder.requestCount(path: "/api/blobs/moved") == 1)
        await Self.stop(server, client)
    }

    @Test(arguments: [HTTPVersionPolicy.http1Only, .http2PriorKnowledge])
    func streamsALargeDownloadCheckedByteForByte(version: HTTPVersionPolicy) async throws {
        let server = try await TestServer.start()
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        let client = HTTPClient(configuration: configuration)
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let total = 48 << 20
        let (response, chunks, received, intact) = try await withTimeout(.seconds(120)) {
            let (response, body) = try await api.downloadBytes(count: total)
            var received = 0
            var chunks = 0
            var intact = true
            for try await chunk in body! {
                intact = intact && TestPattern.matches(chunk, offset: received)
                received += chunk.count
                chunks += 1
            }
            return (response, chunks, received, intact)
        }
        #expect(response.status == .ok)
        #expect(received == total)
        #expect(intact)
        #expect(chunks > 1, "the body arrives in pieces, not collected")
        await Self.stop(server, client)
    }

    @Test func theResponseBodyAdvertisesAKnownLength() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let (lengths, headBody, noContentBody) = try await withTimeout {
            let (_, sized) = try await api.raw(.get, "/bytes/1000")
            let (_, chunked) = try await api.raw(.get, "/bytes/1000?chunked=1")
            let (_, head) = try await api.raw(.head, "/bytes/10")
            let (_, noContent) = try await api.raw(.get, "/status/204")
            return ([sized?.length, chunked?.length], head, noContent)
        }
        #expect(lengths == [.known(1000), .unknown])
        #expect(headBody == nil)
        #expect(noContentBody == nil)
        await Self.stop(server, client)
    }

    @Test func errorStatusesAreResponsesForTheGeneratedCodeToInterpret() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let answers = try await withTimeout {
            var answers: [Int: String] = [:]
            for code in [400, 404, 429, 500, 503] {
                let (response, body) = try await api.raw(.get, "/status/\(code)")
                answers[response.status.code] = try await String(collecting: body ?? HTTPBody(), upTo: 1000)
            }
            return answers
        }
        #expect(answers.keys.sorted() == [400, 404, 429, 500, 503])
        await Self.stop(server, client)
    }

    @Test func transportFailuresSurfaceAsTypedClientErrors() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        // The connection resets after 5000 body bytes: the body iteration fails with Courier's error.
        let midBody: (any Error)? = try await withTimeout {
            do {
                let (_, body) = try await api.raw(.get, "/bytes/1000000?fault=reset&at=5000")
                for try await _ in body! {}
                return nil
            } catch {
                return error
            }
        }
        let bodyError = try #require(midBody as? HTTPClientError)
        #expect(bodyError.code == .connectionClosed || bodyError.code == .protocolViolation)
        // Nobody listens: the send itself fails with a connect error.
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        let closed = ItemsAPIClient(serverURL: URL(string: "http://127.0.0.1:\(port)")!,
                                    transport: CourierClientTransport(client: client))
        let connectError: (any Error)? = try await withTimeout {
            do { _ = try await closed.getItem(id: 1); return nil } catch { return error }
        }
        #expect((connectError as? HTTPClientError)?.isConnectError == true)
        // A server URL that is not http(s) is refused before anything is sent.
        let bad = ItemsAPIClient(serverURL: URL(string: "ftp://example.com")!, transport: CourierClientTransport(client: client))
        await #expect(throws: HTTPClientError.self) { _ = try await bad.getItem(id: 1) }
        await Self.stop(server, client)
    }

    @Test func cancellingTheOperationCancelsTheRequest() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let operation = Task { try await api.raw(.get, "/delay/600000") }
        _ = try await withTimeout { try await server.recorder.waitForRequests(count: 1, path: "/delay/600000") }
        operation.cancel()
        let outcome: (any Error)? = try await withTimeout {
            do { _ = try await operation.value; return nil } catch { return error }
        }
        #expect(outcome is CancellationError)
        await Self.stop(server, client)
    }

    @Test func cancellingDuringAnEndlessUploadStopsIt() async throws {
        let server = try await TestServer.start()
        let received = ByteCounter()
        server.route(.put, "/sink") { request in
            for try await chunk in request.body { received.add(chunk.readableBytes) }
            return .status(.ok)
        }
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        // A body that never ends: the upload lasts until the operation is cancelled.
        let body = HTTPBody(PatternChunks(total: .max, chunkSize: 16 * 1024), length: .unknown, iterationBehavior: .single)
        let upload = Task { try await api.raw(.put, "/sink", body: body) }
        try await withTimeout {
            while received.count < 1 << 20 { try await Task.sleep(for: .milliseconds(5)) }
        }
        upload.cancel()
        let outcome: (any Error)? = try await withTimeout {
            do { _ = try await upload.value; return nil } catch { return error }
        }
        #expect(outcome is CancellationError)
        await Self.stop(server, client)
    }

    @Test func cancellingWhileStreamingTheResponseBodyStopsIt() async throws {
        let server = try await TestServer.start()
        let client = HTTPClient()
        let api = ItemsAPIClient(serverURL: URL(string: server.baseURL)!, transport: CourierClientTransport(client: client))
        let firstChunk = AsyncStream.makeStream(of: Void.self)
        // The server sends 1000 bytes, then nothing more: the reader waits until its task is cancelled.
        let reader = Task {
            let (_, body) = try await api.raw(.get, "/bytes/10000000?fault=stall&at=1000")
            var received = 0
            for try await chunk in body! {
                received += chunk.count
                firstChunk.continuation.yield()
            }
            return received
        }
        try await withTimeout {
            for await _ in firstChunk.stream { break }
        }
        reader.cancel()
        let outcome: (any Error)? = try await withTimeout {
            do { _ = try await reader.value; return nil } catch { return error }
        }
        #expect(outcome is CancellationError)
        await Self.stop(server, client)
    }
}

/// Counts bytes across tasks.
final class ByteCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ count: Int) { value.add(count, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// `total` bytes of `TestPattern` in `chunkSize` pieces, produced on demand and counted.
struct PatternChunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let total: Int
    let chunkSize: Int
    var produced = ByteCounter()

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sequence: self) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let sequence: PatternChunks
        var offset = 0
        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard offset < sequence.total else { return nil }
            let count = Swift.min(sequence.chunkSize, sequence.total - offset)
            let chunk = TestPattern.bytes(offset: offset, count: count)
            offset += count
            sequence.produced.add(count)
            return chunk.withUnsafeReadableBytes { ArraySlice($0) }
        }
    }
}
