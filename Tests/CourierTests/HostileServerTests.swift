import Testing
import Courier
import CourierTestSupport

/// What a request against a hostile peer ended with.
enum HostileOutcome: Sendable {
    case success(status: Int, bodyBytes: Int)
    case failure(HTTPClientError)
    /// An error that is not an `HTTPClientError`: always a failure of the test.
    case untyped(String)

    /// The outcome for a thrown error.
    static func failed(_ error: any Error) -> HostileOutcome {
        if let error = error as? HTTPClientError { return .failure(error) }
        return .untyped("\(type(of: error)): \(error)")
    }

    var error: HTTPClientError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Shared pieces of the hostile-server suites.
enum Hostile {
    /// A client for one scripted peer: prior-knowledge HTTP/2 or HTTP/1.1 only, with the given tweaks.
    static func client(http2: Bool, _ tweak: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = http2 ? .http2PriorKnowledge : .http1Only
        tweak(&configuration)
        return HTTPClient(configuration: configuration)
    }

    /// GETs `url` and reads the body (up to `limit` bytes), within the test's `limit`.
    static func fetch(_ client: HTTPClient, _ url: String, timeout: Duration? = nil, bodyLimit: Int = 1 << 20,
                      within limit: Duration = .seconds(30)) async throws -> HostileOutcome {
        try await withTimeout(limit) {
            do {
                let response = try await client.get(url, timeout: timeout)
                let body = try await response.body.collect(upTo: bodyLimit)
                return .success(status: response.head.status.code, bodyBytes: body.readableBytes)
            } catch {
                return .failed(error)
            }
        }
    }

    /// Shuts the client down and checks that the peer saw each of its connections closed (no fd left open).
    static func finish(_ client: HTTPClient, _ peer: HostilePeer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await withTimeout { await client.shutdown() }
        let accepted = peer.connectionsAccepted
        let allClosed = await peer.waitForClientCloses(accepted)
        #expect(allClosed, "the client left \(accepted - peer.connectionsClosedByClient) of \(accepted) connections open",
                sourceLocation: sourceLocation)
        peer.stop()
    }
}

/// Scripted HTTP/2 servers that break the rules (Tests/Fixtures/ATTACKS.md): each request ends with a typed
/// error within its timeout, and the client closes the connection.
@Suite struct HostileHTTP2ServerTests {
    /// A peer that accepts HTTP/2, waits for the first request, then runs `attack` with its stream id.
    static func peer(settings: [(UInt16, UInt32)] = [],
                     _ attack: @escaping @Sendable (HostileConnection, UInt32) -> Void) throws -> HostilePeer {
        try HostilePeer { connection, _ in
            guard connection.acceptHTTP2(settings: settings), let stream = connection.readRequestStream() else { return }
            attack(connection, stream)
            connection.waitForClientClose()
        }
    }

    static func expectFailure(_ expected: HTTPClientError.Code, settings: [(UInt16, UInt32)] = [],
                              timeout: Duration? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation,
                              _ attack: @escaping @Sendable (HostileConnection, UInt32) -> Void) async throws {
        let peer = try peer(settings: settings, attack)
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"), timeout: timeout)
        #expect(outcome.error?.code == expected, "\(outcome)", sourceLocation: sourceLocation)
        try await Hostile.finish(client, peer, sourceLocation: sourceLocation)
    }

    @Test func endlessContinuationFailsTheConnection() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            guard connection.send(RawHTTP2.frame(RawHTTP2.headers, stream: stream, RawHTTP2.responseBlock())) else { return }
            for index in 0..<100_000 {
                let fragment = RawHTTP2.literal("x-c\(index % 10)", "v")
                guard connection.send(RawHTTP2.frame(RawHTTP2.continuation, stream: stream, fragment)) else { return }
            }
        }
    }

    @Test func emptyContinuationFramesFailTheConnection() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            guard connection.send(RawHTTP2.frame(RawHTTP2.headers, stream: stream, RawHTTP2.responseBlock())) else { return }
            for _ in 0..<100_000 {
                guard connection.send(RawHTTP2.frame(RawHTTP2.continuation, stream: stream)) else { return }
            }
        }
    }

    @Test func hpackBombStopsAtTheHeaderListLimit() async throws {
        // One 4 KB entry in the dynamic table, then 4,000 one-octet references to it: 16 MB decoded.
        try await Self.expectFailure(.limitExceeded) { connection, stream in
            let block = RawHTTP2.responseBlock() + RawHTTP2.literal("x-bomb", String(repeating: "a", count: 4000), indexed: true)
                + [UInt8](repeating: 0x80 | 62, count: 4000)
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, block))
        }
    }

    @Test func tinyFieldBombStopsAtTheHeaderListLimit() async throws {
        // 12,000 references to a one-byte entry: few bytes each, but 32 octets of overhead per field.
        try await Self.expectFailure(.limitExceeded) { connection, stream in
            let block = RawHTTP2.responseBlock() + RawHTTP2.literal("a", "", indexed: true)
                + [UInt8](repeating: 0x80 | 62, count: 12_000)
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, block))
        }
    }

    @Test func headerBlockOverTheLimitFailsTheConnection() async throws {
        // 100 KB of literal fields spread over HEADERS and CONTINUATION frames of 16 KB.
        try await Self.expectFailure(.limitExceeded) { connection, stream in
            var block = RawHTTP2.responseBlock()
            for index in 0..<100 { block += RawHTTP2.literal("x-f\(index)", String(repeating: "v", count: 1000)) }
            var offset = 0
            var bytes: [UInt8] = []
            while offset < block.count {
                let end = min(offset + 16_384, block.count)
                let type = offset == 0 ? RawHTTP2.headers : RawHTTP2.continuation
                bytes += RawHTTP2.frame(type, flags: end == block.count ? RawHTTP2.endHeaders : 0, stream: stream,
                                        Array(block[offset..<end]))
                offset = end
            }
            connection.send(bytes)
        }
    }

    @Test func emptyFieldNameIsMalformed() async throws {
        // A flood of empty fields (CVE-2019-9516) starts with one: an empty name is malformed.
        let peer = try Self.peer { connection, stream in
            let block = RawHTTP2.responseBlock() + Array([[UInt8]](repeating: [0x40, 0, 0], count: 1000).joined())
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders | RawHTTP2.endStream, stream: stream, block))
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error.map { [.protocolViolation, .streamReset].contains($0.code) } == true, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func oversizedHPACKLiteralFailsBeforeDecoding() async throws {
        // A Huffman literal that declares 1 GB but carries 10 bytes.
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            let block = RawHTTP2.responseBlock() + [0x00] + RawHTTP2.string(Array("x-a".utf8))
                + RawHTTP2.integer(1 << 30, prefixBits: 7, high: 0x80) + [UInt8](repeating: 0xff, count: 10)
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, block))
        }
    }

    @Test func hpackIntegerOverflowFailsTheConnection() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            let block = RawHTTP2.responseBlock() + [0xff] + [UInt8](repeating: 0xff, count: 20) + [0x01]
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, block))
        }
    }

    @Test func emptyDataFloodIsRefused() async throws {
        // CVE-2019-9518: empty DATA frames without END_STREAM make no progress.
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            guard connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream,
                                                 RawHTTP2.responseBlock())) else { return }
            for _ in 0..<100_000 {
                guard connection.send(RawHTTP2.frame(RawHTTP2.data, stream: stream)) else { return }
            }
        }
    }

    @Test func windowUpdateDribbleIsRefused() async throws {
        // CVE-2019-9511: one-byte window updates, each costing work.
        try await Self.expectFailure(.protocolViolation) { connection, _ in
            for _ in 0..<100_000 {
                guard connection.send(RawHTTP2.windowUpdateFrame(stream: 0, increment: 1)) else { return }
            }
        }
    }

    @Test func resetOfAStreamNeverOpenedIsAProtocolError() async throws {
        // RST_STREAM on an idle stream (RFC 9113 §6.4).
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            connection.send(RawHTTP2.frame(RawHTTP2.rstStream, stream: stream + 200, RawHTTP2.be32(8)))
        }
    }

    @Test func streamDependingOnItselfFailsTheStream() async throws {
        // RFC 9113 §5.3.1: a stream cannot depend on itself (a stream error, the request fails typed).
        let peer = try Self.peer { connection, stream in
            connection.send(RawHTTP2.frame(0x2, stream: stream, RawHTTP2.be32(stream) + [16]))
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"), timeout: .seconds(5))
        #expect(outcome.error.map { [.protocolViolation, .streamReset].contains($0.code) } == true, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func provokedStreamErrorsEscalate() async throws {
        // MadeYouReset (CVE-2025-8671): every stream gets a WINDOW_UPDATE of 0, which makes the client reset it.
        // 250 requests: each fails typed (its stream reset, or the connection ended with ENHANCE_YOUR_CALM).
        let peer = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2() else { return }
            while let stream = connection.readRequestStream() {
                guard connection.send(RawHTTP2.windowUpdateFrame(stream: stream, increment: 0)) else { return }
            }
        }
        let client = Hostile.client(http2: true)
        let outcomes = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: HostileOutcome.self) { group in
                for _ in 0..<250 { group.addTask { try await Hostile.fetch(client, peer.url("/")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(outcomes.count == 250)
        for outcome in outcomes where outcome.error.map({ [.protocolViolation, .streamReset].contains($0.code) }) != true {
            Issue.record("\(outcome)")
        }
        try await Hostile.finish(client, peer)
    }

    @Test func settingsFloodIsRefused() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, _ in
            for _ in 0..<10_000 {
                guard connection.send(RawHTTP2.settingsFrame([(RawHTTP2.initialWindowSize, 65535)])) else { return }
            }
        }
    }

    @Test func pingFloodIsRefused() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, _ in
            for index in 0..<10_000 {
                guard connection.send(RawHTTP2.pingFrame(UInt64(index))) else { return }
            }
        }
    }

    @Test func windowThatNeverOpensEndsAtTheRequestTimeout() async throws {
        // The server allows no request body bytes and never sends WINDOW_UPDATE.
        let peer = try Self.peer(settings: [(RawHTTP2.initialWindowSize, 0)]) { _, _ in }
        let client = Hostile.client(http2: true)
        let outcome = try await withTimeout(.seconds(30)) { () -> HostileOutcome in
            do {
                let response = try await client.post(peer.url("/upload"), body: .bytes(ByteBuffer(repeating: 1, count: 100_000)),
                                                     timeout: .milliseconds(500))
                return .success(status: response.head.status.code, bodyBytes: 0)
            } catch {
                return .failed(error)
            }
        }
        #expect(outcome.error?.code == .deadlineExceeded, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func windowOverflowIsAFlowControlError() async throws {
        try await Self.expectFailure(.protocolViolation) { connection, _ in
            connection.send(RawHTTP2.windowUpdateFrame(stream: 0, increment: 0x7fff_ffff))
        }
    }

    @Test func streamWindowOverflowFailsTheStream() async throws {
        // A stream error: the stream is reset (RFC 9113 §6.9.1), the request fails, nothing hangs.
        let peer = try Self.peer { connection, stream in
            connection.send(RawHTTP2.windowUpdateFrame(stream: stream, increment: 0x7fff_ffff))
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error.map { [.protocolViolation, .streamReset].contains($0.code) } == true, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func dataOnAClosedStreamDoesNotCorruptLaterRequests() async throws {
        // After each complete response the peer sends more DATA on the finished stream. The response already
        // delivered stays intact; later requests succeed (on this connection or, after a connection error, on
        // a new one) or fail with a typed error, never hang.
        let peer = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2() else { return }
            while let stream = connection.readRequestStream() {
                guard connection.respond(stream: stream, body: Array("hello".utf8)),
                      connection.send(RawHTTP2.frame(RawHTTP2.data, stream: stream, Array("late".utf8))) else { return }
            }
        }
        let client = Hostile.client(http2: true)
        let first = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 5) = first else {
            Issue.record("the first response was not delivered intact: \(first)")
            return
        }
        for _ in 0..<3 {
            let next = try await Hostile.fetch(client, peer.url("/"))
            switch next {
            case .success(let status, let bytes): #expect(status == 200 && bytes == 5)
            case .failure(let error): #expect([.protocolViolation, .connectionClosed].contains(error.code), "\(error)")
            case .untyped(let text): Issue.record("untyped error: \(text)")
            }
        }
        try await Hostile.finish(client, peer)
    }

    @Test func pushPromiseIsAProtocolError() async throws {
        // The client sent ENABLE_PUSH=0: a PUSH_PROMISE is a connection error.
        try await Self.expectFailure(.protocolViolation) { connection, stream in
            let promise = RawHTTP2.be32(2) + [0x82, 0x84, 0x86] + RawHTTP2.literal(":authority", "x")
            connection.send(RawHTTP2.frame(RawHTTP2.pushPromise, flags: RawHTTP2.endHeaders, stream: stream, promise))
        }
    }

    @Test(arguments: [UInt32(2), 5])
    func streamsOpenedByTheServerAreAProtocolError(_ serverStream: UInt32) async throws {
        try await Self.expectFailure(.protocolViolation) { connection, _ in
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: serverStream,
                                           RawHTTP2.responseBlock()))
        }
    }

    @Test func invalidPrefaceFailsTyped() async throws {
        // An HTTP/1.1 server answering prior-knowledge HTTP/2.
        let peer = try HostilePeer { connection, _ in
            _ = connection.read(exactly: RawHTTP2.clientPreface.count)
            connection.send("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error?.code == .protocolViolation, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func settingsFrameOnAStreamIsAProtocolError() async throws {
        let peer = try HostilePeer { connection, _ in
            _ = connection.read(exactly: RawHTTP2.clientPreface.count)
            connection.send(RawHTTP2.frame(RawHTTP2.settings, stream: 1, []))
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        #expect(outcome.error?.code == .protocolViolation, "\(outcome)")
        try await Hostile.finish(client, peer)
    }

    @Test func goAwayLoweringTheLastStreamRetriesOnlyTheUnprocessedStreams() async throws {
        // The first connection: three requests arrive; GOAWAY(2^31-1) announces a shutdown, then GOAWAY(first)
        // narrows it. The first stream is answered; the others were never processed, so the client sends them
        // again on a new connection, which answers normally. Nothing is lost.
        let peer = try HostilePeer { connection, index in
            guard index == 0 else { return connection.serveHTTP2Normally() }
            guard connection.acceptHTTP2() else { return }
            var streams: [UInt32] = []
            while streams.count < 3, let stream = connection.readRequestStream() { streams.append(stream) }
            guard let first = streams.min() else { return }
            connection.send(RawHTTP2.goAwayFrame(lastStreamID: 0x7fff_ffff))
            connection.send(RawHTTP2.goAwayFrame(lastStreamID: first))
            connection.respond(stream: first)
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: true)
        let outcomes = try await withTimeout(.seconds(30)) {
            try await withThrowingTaskGroup(of: HostileOutcome.self) { group in
                for _ in 0..<3 { group.addTask { try await Hostile.fetch(client, peer.url("/")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        for outcome in outcomes {
            guard case .success(200, 2) = outcome else {
                Issue.record("a request was lost: \(outcome)")
                continue
            }
        }
        try await Hostile.finish(client, peer)
    }

    @Test func goAwayRaisingTheLastStreamFailsOrIsIgnored() async throws {
        // RFC 9113 §6.8: the last stream id must not increase. The client either fails the connection
        // (protocolViolation) or keeps the lower value and lets the processed stream complete.
        let peer = try Self.peer { connection, stream in
            connection.send(RawHTTP2.goAwayFrame(lastStreamID: stream))
            connection.send(RawHTTP2.goAwayFrame(lastStreamID: stream + 100))
            connection.respond(stream: stream)
        }
        let client = Hostile.client(http2: true)
        let outcome = try await Hostile.fetch(client, peer.url("/"))
        switch outcome {
        case .success(let status, let bytes): #expect(status == 200 && bytes == 2)
        case .failure(let error): #expect(error.code == .protocolViolation, "\(error)")
        case .untyped(let text): Issue.record("untyped error: \(text)")
        }
        try await Hostile.finish(client, peer)
    }
}
