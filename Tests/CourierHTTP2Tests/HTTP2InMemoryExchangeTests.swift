import CourierCore
import CourierHPACK
import Testing
@testable import CourierHTTP2

/// A client and a server connection talking to each other in memory: whole exchanges, flow
/// control end to end, MAX_CONCURRENT_STREAMS queueing, HPACK state across many requests, and the
/// same events whatever the transport's chunking.
@Suite struct HTTP2InMemoryExchangeTests {
    /// Serves every request on the server side: a 200 with a body of `size` octets and trailers.
    static func serve(_ pair: inout Pair, bodySize: Int, trailers: Bool = false) {
        var requests: [HTTP2StreamID] = []
        for event in pair.serverEvents {
            if case .request(let id, _, true) = event { requests.append(id) }
            if case .trailers(let id, _) = event { requests.append(id) }
            if case .data(let id, let data, let end) = event {
                pair.server.consumed(id, bytes: data.readableBytes)
                if end { requests.append(id) }
            }
        }
        pair.serverEvents.removeAll()
        for id in requests {
            try! pair.server.sendHeaders(id, H2.list([(":status", "200"), ("content-length", "\(bodySize)")]),
                                         endStream: false)
            var body = ByteBuffer(repeating: UInt8(id.rawValue & 0xff), count: bodySize)
            _ = try! pair.server.sendData(id, &body, endStream: !trailers)
            precondition(body.readableBytes == 0, "the test bodies fit the initial windows")
            if trailers { try! pair.server.sendTrailers(id, H2.list([("x-done", "yes")])) }
        }
    }

    @Test func aGetAndItsResponse() {
        var pair = Pair()
        let stream = pair.request(H2.get, endStream: true)
        pair.run()
        #expect(pair.serverEvents.described == ["remoteSettings", "settingsAcknowledged", "request 1 GET / end"])
        pair.serverEvents.removeAll()
        Self.serve(&pair, bodySize: 0)
        pair.serverEvents = [.request(stream, HTTP2RequestHead(fields: HTTP2HeaderFields(list: H2.list(H2.get)), methodIndex: 0,
                                                               schemeIndex: 1, authorityIndex: 2, pathIndex: 3), endStream: true)]
        Self.serve(&pair, bodySize: 5, trailers: true)
        pair.run()
        #expect(pair.clientEvents.described.suffix(4) == ["response 1 200", "data 1 5", "trailers 1", "closed 1"])
        #expect(pair.server.activeStreamCount == 0 && pair.client.activeStreamCount == 0)
    }

    @Test func aLargeUploadFlowsThroughTheWindows() throws {
        var configuration = HTTP2Configuration()
        configuration.initialWindowSize = 65535
        configuration.connectionWindowSize = 65535
        var pair = Pair(client: configuration, server: configuration)
        let stream = pair.request([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/up")],
                                  endStream: false)
        var body = ByteBuffer(repeating: 3, count: 1_000_000)
        var received = 0
        var rounds = 0
        while rounds < 10_000 {
            rounds += 1
            if body.readableBytes > 0 { _ = try pair.client.sendData(stream, &body, endStream: true) }
            pair.run()
            for event in pair.serverEvents {
                if case .data(let id, let data, _) = event {
                    received += data.readableBytes
                    pair.server.consumed(id, bytes: data.readableBytes)
                }
            }
            let finished = pair.serverEvents.contains { if case .data(_, _, true) = $0 { true } else { false } }
            pair.serverEvents.removeAll()
            if finished { break }
        }
        #expect(received == 1_000_000)
        #expect(pair.client.state(of: stream) == .halfClosedLocal)
        #expect(pair.clientEvents.contains { if case .windowOpened = $0 { true } else { false } })
    }

    @Test func manyStreamsQueueBehindTheServersConcurrencyLimit() {
        var serverConfiguration = HTTP2Configuration()
        serverConfiguration.maxConcurrentStreams = 10
        var pair = Pair(server: serverConfiguration)
        var opened: [HTTP2OpenedStream] = []
        for index in 0..<100 {
            opened.append(try! pair.client.openStream(H2.list([(":method", "GET"), (":scheme", "http"),
                                                               (":authority", "a"), (":path", "/\(index)")]),
                                                      endStream: true))
        }
        #expect(opened.filter(\.isQueued).count == 90)
        var completed = Set<HTTP2StreamID>()
        for _ in 0..<100 {
            pair.run()
            Self.serve(&pair, bodySize: 100)
            pair.run()
            for event in pair.clientEvents {
                if case .streamClosed(let id) = event { completed.insert(id) }
                if case .data(let id, let data, _) = event { pair.client.consumed(id, bytes: data.readableBytes) }
            }
            #expect(pair.server.activeStreamCount <= 10)
            pair.clientEvents.removeAll()
            if completed.count == 100 { break }
        }
        #expect(completed.count == 100)
        #expect(!pair.serverEvents.contains { if case .streamError = $0 { true } else { false } })
    }

    @Test func hpackStateStaysInStepOverManyRequests() {
        var pair = Pair()
        for index in 0..<500 {
            let stream = pair.request([(":method", "GET"), (":scheme", "https"), (":authority", "api.example"),
                                       (":path", "/items/\(index % 37)"), ("user-agent", "courier-test"),
                                       ("x-request-id", "r\(index % 5)"), ("authorization", "Bearer secret")],
                                      endStream: true)
            pair.run()
            guard case .request(stream, let head, true) = pair.serverEvents.last else {
                Issue.record("\(pair.serverEvents.described)")
                return
            }
            #expect(head.path == "/items/\(index % 37)" && head.fields.firstValue(for: "x-request-id") == "r\(index % 5)")
            Self.serve(&pair, bodySize: 10)
            pair.run()
            pair.clientEvents.removeAll()
        }
    }

    @Test(arguments: [1, 2, 3, 7, 9, 10, 64, 1000])
    func theTransportsChunkingChangesNothing(_ chunkSize: Int) {
        func transcript(_ chunkSize: Int) -> [String] {
            var pair = Pair()
            pair.chunkSize = chunkSize
            for index in 0..<5 {
                _ = pair.request([(":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/\(index)")],
                                 endStream: true)
            }
            pair.run()
            Self.serve(&pair, bodySize: 20000, trailers: true)
            pair.run()
            return pair.clientEvents.described.map { line in
                // DATA arrives as the chunks allow: compare totals per stream, not frame by frame.
                line.hasPrefix("data") ? "data" : line
            }.reduce(into: [String]()) { result, line in
                if line == "data" && result.last == "data" { return }
                result.append(line)
            }
        }
        #expect(transcript(chunkSize) == transcript(Int.max))
    }
}
