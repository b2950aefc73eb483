import CourierCore
import CourierHPACK
import Testing
@testable import CourierHTTP2

/// The requirements of RFC 9113 the in-process test server relies on, for the server role, named
/// after the section they check. The client is played frame by frame (`Peer`).
@Suite struct HTTP2ServerConformanceTests {
    static let request: [(String, String)] = [(":method", "GET"), (":scheme", "https"), (":authority", "example.com"),
                                              (":path", "/index.html?x=1"), ("accept", "*/*")]

    // MARK: §3.4 Preface

    @Test func section3_4_theServerSendsSettingsAndWaitsForTheClientPreface() {
        var peer = Peer(connection: HTTP2Connection(role: .server, now: .zero))
        let frames = peer.sent()
        guard case .settings(let settings) = frames.first?.payload else { Issue.record("\(frames)"); return }
        #expect(Array(settings.settings).contains(HTTP2Setting(.maxConcurrentStreams, 100)))
        #expect(!Array(settings.settings).contains { $0.id == .enablePush })
        // The preface can arrive in pieces.
        for octet in HTTP2ConnectionPreface.bytes { #expect(peer.feed([octet]).isEmpty) }
        #expect(peer.feedDescribed(H2.settings()) == ["remoteSettings"])
        #expect(peer.sent().settingsAcks == 1)
    }

    @Test func section3_4_anInvalidPrefaceIsAProtocolError() {
        var peer = Peer(connection: HTTP2Connection(role: .server, now: .zero))
        _ = peer.sent()
        let events = peer.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(events.connectionError?.code == .invalidPreface)
        #expect(peer.sent().goAway?.errorCode == .protocolError)
    }

    @Test func section3_4_theClientsFirstFrameAfterThePrefaceMustBeSettings() {
        var peer = Peer.server(handshake: false)
        let events = peer.feed(HTTP2ConnectionPreface.bytes + H2.headers(1, Self.request, endStream: true))
        #expect(events.connectionError?.code == .unexpectedFrame)
    }

    // MARK: §8.3.1 Requests

    @Test func section8_3_1_aRequestHeadIsDeliveredWithItsPseudoHeaderFields() {
        var peer = Peer.server()
        let events = peer.feed(H2.headers(1, Self.request, endStream: true))
        guard case .request(1, let head, true) = events.first else { Issue.record("\(events.described)"); return }
        #expect(head.method == "GET" && head.scheme == "https" && head.authority == "example.com")
        #expect(head.path == "/index.html?x=1")
        #expect(head.fields.pairs.map(\.name) == ["accept"])
        #expect(peer.connection.state(of: 1) == .halfClosedRemote)
    }

    static let malformedRequests: [(String, [(String, String)])] = [
        ("missing :method", [(":scheme", "https"), (":path", "/")]),
        ("missing :scheme", [(":method", "GET"), (":path", "/")]),
        ("missing :path", [(":method", "GET"), (":scheme", "https")]),
        ("empty :path", [(":method", "GET"), (":scheme", "https"), (":path", "")]),
        ("relative :path", [(":method", "GET"), (":scheme", "https"), (":path", "a/b")]),
        ("asterisk :path for GET", [(":method", "GET"), (":scheme", "https"), (":path", "*")]),
        ("repeated :method", [(":method", "GET"), (":method", "GET"), (":scheme", "https"), (":path", "/")]),
        ("repeated :path", [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":path", "/")]),
        (":status in a request", [(":status", "200"), (":method", "GET"), (":scheme", "https"), (":path", "/")]),
        ("undefined pseudo-header", [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":foo", "x")]),
        ("extended CONNECT (unsupported)", [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                                            (":path", "/chat"), (":authority", "a")]),
        ("pseudo-header after a regular field", [(":method", "GET"), (":scheme", "https"), ("x", "1"), (":path", "/")]),
        ("CONNECT without :authority", [(":method", "CONNECT")]),
        ("CONNECT with :path", [(":method", "CONNECT"), (":authority", "a:443"), (":path", "/")]),
        ("host differs from :authority", [(":method", "GET"), (":scheme", "https"), (":path", "/"),
                                          (":authority", "a.example"), ("host", "b.example")]),
        ("te: gzip", [(":method", "GET"), (":scheme", "https"), (":path", "/"), ("te", "gzip")]),
        ("connection", [(":method", "GET"), (":scheme", "https"), (":path", "/"), ("connection", "keep-alive")]),
        ("uppercase name", [(":method", "GET"), (":scheme", "https"), (":path", "/"), ("Accept", "*/*")]),
        ("method with a space", [(":method", "G T"), (":scheme", "https"), (":path", "/")]),
        ("userinfo in :authority", [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "u:p@a")]),
    ]

    @Test(arguments: malformedRequests.map(\.0))
    func section8_3_1_malformedRequestsAreRefusedWithProtocolError(_ name: String) {
        let fields = Self.malformedRequests.first { $0.0 == name }!.1
        var peer = Peer.server()
        let events = peer.feed(H2.headers(1, fields, endStream: true))
        #expect(events.isEmpty, "\(name): the application never sees it")
        #expect(peer.sent().resets.map { "\($0.0) \($0.1)" } == ["1 PROTOCOL_ERROR"], "\(name)")
        // Frames the client had in flight on it are discarded; the next request works.
        #expect(peer.feed(H2.data(1, "x", endStream: true)).isEmpty)
        #expect(peer.feedDescribed(H2.headers(3, Self.request, endStream: true)) == ["request 3 GET /index.html?x=1 end"])
    }

    static let validRequests: [(String, [(String, String)])] = [
        ("OPTIONS *", [(":method", "OPTIONS"), (":scheme", "https"), (":path", "*"), (":authority", "a")]),
        ("CONNECT", [(":method", "CONNECT"), (":authority", "proxy.example:443")]),
        ("host equal to :authority but for case and default port",
         [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "Example.com"), ("host", "example.com:443")]),
        ("no :authority", [(":method", "GET"), (":scheme", "https"), (":path", "/"), ("host", "a")]),
        ("te: trailers", [(":method", "POST"), (":scheme", "http"), (":path", "/rpc"), ("te", "trailers")]),
        ("non-http scheme with a relative path", [(":method", "GET"), (":scheme", "urn"), (":path", "isbn:0451450523")]),
    ]

    @Test(arguments: validRequests.map(\.0))
    func section8_3_1_validRequestsAreDelivered(_ name: String) {
        let fields = Self.validRequests.first { $0.0 == name }!.1
        var peer = Peer.server()
        let events = peer.feed(H2.headers(1, fields, endStream: true))
        guard case .request(1, let head, true) = events.first else { Issue.record("\(name): \(events.described)"); return }
        #expect(head.method == fields[0].1)
        #expect(peer.sent().resets.isEmpty)
    }

    @Test func section8_1_aRequestBodyWithTrailers() throws {
        var peer = Peer.server()
        let events = peer.feed(H2.headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/up"),
                                              ("content-length", "5")])
            + H2.data(1, "hel") + H2.data(1, "lo") + H2.headers(1, [("x-sum", "1")], endStream: true))
        #expect(events.described == ["request 1 POST /up", "data 1 3", "data 1 2", "trailers 1"])
        #expect(peer.connection.state(of: 1) == .halfClosedRemote)
        try peer.connection.sendHeaders(1, H2.list([(":status", "204")]), endStream: true)
        #expect(peer.drain().described == ["closed 1"])
    }

    @Test func section8_1_1_aRequestBodyShorterThanItsContentLengthIsMalformed() {
        var peer = Peer.server()
        let events = peer.feed(H2.headers(1, [(":method", "POST"), (":scheme", "http"), (":path", "/"),
                                              ("content-length", "5")]) + H2.data(1, "hel", endStream: true))
        #expect(events.described == ["request 1 POST /", "streamError 1 PROTOCOL_ERROR"])
        #expect(events.streamErrors.first?.1.code == .contentLengthMismatch)
    }

    // MARK: §5.1.1 Stream identifiers

    @Test func section5_1_1_aClientStreamIdentifierMustIncrease() {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(5, Self.request, endStream: true))
        let events = peer.feed(H2.headers(3, Self.request, endStream: true))
        #expect(events.connectionError?.code == .streamIDNotIncreasing, "\(events.described)")
        #expect(events.connectionError?.wireCode == .protocolError)
        #expect(peer.sent().goAway?.lastStreamID == 5)
    }

    @Test func section5_1_1_anEvenStreamFromAClientIsAProtocolError() {
        var peer = Peer.server()
        #expect(peer.feed(H2.headers(2, Self.request, endStream: true)).connectionError?.wireCode == .protocolError)
    }

    @Test func section5_1_1_skippedIdentifiersAreClosed() {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(7, Self.request, endStream: true))
        #expect(peer.connection.state(of: 3) == .closed)
        #expect(peer.feed(H2.data(3, "x")).connectionError?.wireCode == .streamClosed)
    }

    // MARK: §5.1.2 Concurrency

    @Test func section5_1_2_streamsOverOurLimitAreRefused() {
        var configuration = HTTP2Configuration()
        configuration.maxConcurrentStreams = 2
        var peer = Peer.server(configuration)
        var events = peer.feed(H2.headers(1, Self.request) + H2.headers(3, Self.request) + H2.headers(5, Self.request))
        #expect(events.described == ["request 1 GET /index.html?x=1", "request 3 GET /index.html?x=1"])
        #expect(peer.sent().resets.map { "\($0.0) \($0.1)" } == ["5 REFUSED_STREAM"])
        // Once one finishes, a new stream is accepted.
        events = peer.feed(H2.rst(1, .cancel) + H2.headers(7, Self.request, endStream: true))
        #expect(events.described == ["reset 1 CANCEL", "request 7 GET /index.html?x=1 end"])
    }

    // MARK: Responses (§8.1, §8.3.2)

    @Test func section8_1_aResponseWithInterimHeadDataAndTrailers() throws {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request, endStream: true))
        try peer.connection.sendHeaders(1, H2.list([(":status", "103"), ("link", "</style.css>")]), endStream: false)
        try peer.connection.sendHeaders(1, H2.list([(":status", "200"), ("content-type", "text/plain")]), endStream: false)
        var body = ByteBuffer(string: "hello")
        #expect(try peer.connection.sendData(1, &body, endStream: false) == 5)
        try peer.connection.sendTrailers(1, H2.list([("grpc-status", "0")]))
        #expect(peer.drain().described == ["closed 1"])
        let frames = peer.sent()
        #expect(frames.headerFrames.map(\.1.endStream) == [false, false, true])
        #expect(frames.dataFrames.count == 1)
        // A client connection reads it all back.
        var client = Peer.client()
        client.open()
        var wire = ByteBuffer()
        for frame in frames { HTTP2FrameEncoder.encode(frame, into: &wire) }
        #expect(client.feed(Array(wire.readableBytesView)).described
            == ["informational 1 103", "response 1 200", "data 1 5", "trailers 1", "closed 1"])
    }

    @Test func section8_1_responseMisuseIsALocalError() throws {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request, endStream: true))
        var body = ByteBuffer(string: "x")
        let attempts: [(String, (inout HTTP2Connection) throws(HTTP2Error) -> Void)] = [
            ("DATA before the head", { connection throws(HTTP2Error) in try connection.sendData(1, &body, endStream: true) }),
            ("trailers before the head", { connection throws(HTTP2Error) in
                try connection.sendTrailers(1, H2.list([("x", "y")])) }),
            ("1xx ending the stream", { connection throws(HTTP2Error) in
                try connection.sendHeaders(1, H2.list([(":status", "100")]), endStream: true) }),
            ("no :status", { connection throws(HTTP2Error) in
                try connection.sendHeaders(1, H2.list([("x", "y")]), endStream: true) }),
            ("a request pseudo-header", { connection throws(HTTP2Error) in
                try connection.sendHeaders(1, H2.list([(":status", "200"), (":path", "/")]), endStream: true) }),
            ("a stream that does not exist", { connection throws(HTTP2Error) in
                try connection.sendHeaders(9, H2.list([(":status", "200")]), endStream: true) }),
            ("a client's openStream", { connection throws(HTTP2Error) in
                _ = try connection.openStream(H2.list(H2.get), endStream: true) }),
        ]
        for (name, attempt) in attempts {
            do {
                try attempt(&peer.connection)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.isLocalMisuse, "\(name)")
            }
        }
        #expect(peer.sent().isEmpty)
        try peer.connection.sendHeaders(1, H2.list([(":status", "200")]), endStream: false)
        #expect(throws: HTTP2Error.self) { try peer.connection.sendHeaders(1, H2.list([(":status", "200")]), endStream: true) }
    }

    // MARK: §6.8 GOAWAY

    @Test func section6_8_aGracefulGoAwayRefusesNewerStreamsAndLetsOthersFinish() throws {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request, endStream: true) + H2.headers(3, Self.request, endStream: true))
        _ = peer.sent()
        peer.connection.goAway()
        #expect(peer.sent().goAway?.lastStreamID == 3)
        #expect(peer.feed(H2.headers(5, Self.request, endStream: true)).isEmpty)
        #expect(peer.sent().resets.map { "\($0.0) \($0.1)" } == ["5 REFUSED_STREAM"])
        try peer.connection.sendHeaders(1, H2.list([(":status", "200")]), endStream: true)
        try peer.connection.sendHeaders(3, H2.list([(":status", "200")]), endStream: true)
        #expect(peer.drain().described == ["closed 1", "closed 3", "readyToClose"])
    }

    @Test func section6_8_theLastStreamIdentifierNeverRises() {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request, endStream: true))
        peer.connection.goAway()
        _ = peer.feed(H2.headers(3, Self.request, endStream: true))  // refused: after our GOAWAY
        peer.connection.goAway(code: .internalError)
        let sent = peer.sent().compactMap { frame -> HTTP2StreamID? in
            if case .goAway(let goAway) = frame.payload { return goAway.lastStreamID }
            return nil
        }
        #expect(sent == [1, 1])
    }

    @Test func section6_8_goAwayWithAnErrorEndsTheConnection() {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request, endStream: true))
        peer.connection.goAway(code: .enhanceYourCalm, debugData: ByteBuffer(string: "bye"))
        #expect(peer.connection.isClosed)
        #expect(peer.sent().goAway?.errorCode == .enhanceYourCalm)
        #expect(peer.feed(H2.headers(3, Self.request)).isEmpty)
    }

    // MARK: §8.4 Push

    @Test func section8_4_aPushPromiseFromAClientIsAProtocolError() {
        var peer = Peer.server()
        _ = peer.feed(H2.headers(1, Self.request))
        let events = peer.feed(H2.frame(.pushPromise, flags: 4, stream: 1, H2.u32(2) + [0x82]))
        #expect(events.connectionError?.code == .pushNotAccepted)
    }

    @Test func section6_5_2_aClientMayEnablePush() {
        var peer = Peer.server(handshake: false)
        #expect(peer.feedDescribed(HTTP2ConnectionPreface.bytes + H2.settings([(0x2, 1)])) == ["remoteSettings"])
    }
}
