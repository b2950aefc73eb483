import CourierCore
import CourierHPACK
import Testing
@testable import CourierHTTP2

/// The 70 scenarios of `client-scenarios.json`: a server sends these frames, the client-role
/// connection must react as listed.
@Suite struct HTTP2ClientScenarioTests {
    struct Scenario: CustomStringConvertible, Sendable {
        var id: String
        var section: String
        var precondition: String
        var frames: [[UInt8]]
        var kind: String
        var code: String?
        var description: String { "\(id) (§\(section))" }
    }

    static let scenarios: [Scenario] = {
        let json = try! H2.json("http2/client-scenarios.json")
        return (json["scenarios"] as! [[String: Any]]).map { entry in
            let expect = entry["expect"] as! [String: Any]
            return Scenario(id: entry["id"] as! String, section: entry["rfc9113"] as! String,
                            precondition: entry["precondition"] as! String,
                            frames: (entry["server_sends"] as! [String]).map { H2.bytes(hex: $0) },
                            kind: expect["kind"] as! String, code: expect["code"] as? String)
        }
    }()

    @Test func thereAre70Scenarios() {
        #expect(Self.scenarios.count == 70)
    }

    /// The connection in the scenario's precondition.
    static func setUp(_ scenario: Scenario) -> Peer {
        if scenario.precondition.hasPrefix("connection just opened") {
            return Peer.client(handshake: false)
        }
        var peer = Peer.client()
        if scenario.precondition.contains("POST") {
            let stream = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "example.com"),
                                    (":path", "/upload")], endStream: false)
            var body = ByteBuffer(repeating: 0x61, count: 1000)
            #expect(try! peer.connection.sendData(stream, &body, endStream: false) == 1000)
        } else if scenario.precondition.contains("streams 1 and 3") {
            peer.open()
            peer.open()
        } else {
            peer.open()
        }
        _ = peer.sent()
        return peer
    }

    static func code(_ name: String) -> HTTP2ErrorCode {
        let codes: [String: HTTP2ErrorCode] = [
            "PROTOCOL_ERROR": .protocolError, "FRAME_SIZE_ERROR": .frameSizeError, "FLOW_CONTROL_ERROR": .flowControlError,
            "COMPRESSION_ERROR": .compressionError, "STREAM_CLOSED": .streamClosed, "REFUSED_STREAM": .refusedStream,
        ]
        return codes[name]!
    }

    @Test(arguments: scenarios)
    func scenario(_ scenario: Scenario) throws {
        var peer = Self.setUp(scenario)
        var events: [HTTP2Event] = []
        for frame in scenario.frames { events += peer.feed(frame) }
        let sent = peer.sent()
        let described = events.described
        switch scenario.kind {
        case "connection_error":
            let expected = Self.code(scenario.code!)
            let error = try #require(events.connectionError, "\(described)")
            #expect(error.wireCode == expected && error.isConnectionError)
            #expect(sent.goAway?.errorCode == expected)
            #expect(peer.connection.isClosed)
        case "stream_error":
            let expected = Self.code(scenario.code!)
            #expect(events.streamErrors.map(\.0) == [1], "\(described)")
            #expect(events.streamErrors.first?.1.wireCode == expected)
            #expect(sent.resets.map(\.0) == [1] && sent.resets.first?.1 == expected)
            #expect(sent.goAway == nil && !peer.connection.isClosed)
            try expectUsable(&peer)
        case "stream_error_or_connection_error":
            let expected = Self.code(scenario.code!)
            let code = events.connectionError?.wireCode ?? events.streamErrors.first?.1.wireCode
            #expect(code == expected, "\(described)")
            #expect(sent.goAway?.errorCode == expected || sent.resets.first?.1 == expected)
        case "ignore":
            #expect(events.connectionError == nil && events.streamErrors.isEmpty, "\(described)")
            #expect(described.allSatisfy { $0.hasPrefix("pingAck") }, "\(described)")
            #expect(sent.isEmpty, "\(sent)")
            try expectUsable(&peer)
        case "ack_settings":
            #expect(sent.settingsAcks == 1 && sent.goAway == nil, "\(sent)")
            #expect(!peer.connection.isClosed)
            if scenario.id == "settings-initial-window-shrink" {
                var more = ByteBuffer(repeating: 0x62, count: 100)
                #expect(try peer.connection.sendData(1, &more, endStream: true) == 0)
                #expect(peer.connection.sendWindow(for: 1) == 0)
                #expect(peer.sent().dataFrames.isEmpty)
                // The window is -1000 now: 1000 octets of credit only bring it back to zero.
                _ = peer.feed(H2.windowUpdate(1, 1000))
                #expect(try peer.connection.sendData(1, &more, endStream: true) == 0)
                let reopened = peer.feed(H2.windowUpdate(1, 100))
                #expect(reopened.described == ["windowOpened 1"])
                #expect(try peer.connection.sendData(1, &more, endStream: true) == 100)
            }
        case "ping_ack":
            let payload = scenario.frames[0].suffix(8)
            #expect(sent.pingAcks == [HTTP2PingData(bytes: payload)], "\(sent)")
            if let code = scenario.code {
                #expect(code == "payload " + H2.hex(payload))
            }
        case "response":
            try checkResponse(scenario, events)
        case "stream_reset":
            #expect(described == ["reset 1 REFUSED_STREAM"])
            #expect(sent.isEmpty, "no RST_STREAM in reply to RST_STREAM")
        case "graceful":
            #expect(described == ["goAway 1 NO_ERROR [3]", "response 1 200 end", "closed 1", "readyToClose"])
            #expect(!peer.connection.canOpenStream)
            #expect(throws: HTTP2Error.self) { try peer.connection.openStream(H2.list(H2.get), endStream: true) }
        case "ack_settings_then_size_update":
            #expect(sent.settingsAcks == 1)
            peer.open()
            let headers = try #require(peer.sent().headerFrames.first)
            #expect(headers.1.fragment.getInteger(at: headers.1.fragment.readerIndex, as: UInt8.self) == 0x20)
        default:
            Issue.record("unknown expectation \(scenario.kind)")
        }
    }

    /// After a stream error or an ignored frame, the connection still carries a new request.
    private func expectUsable(_ peer: inout Peer) throws {
        let stream = try peer.connection.openStream(H2.list(H2.get), endStream: true).id
        let events = peer.feed(H2.headers(stream.rawValue, [(":status", "204")], endStream: true))
        #expect(events.described == ["response \(stream) 204 end", "closed \(stream)"])
    }

    private func body(_ events: [HTTP2Event]) -> [UInt8] {
        events.flatMap { event -> [UInt8] in
            if case .data(_, let data, _) = event { return Array(data.readableBytesView) }
            return []
        }
    }

    private func checkResponse(_ scenario: Scenario, _ events: [HTTP2Event]) throws {
        let described = events.described
        #expect(events.connectionError == nil && events.streamErrors.isEmpty, "\(described)")
        #expect(described.contains("closed 1"), "\(described)")
        switch scenario.id {
        case "data-max-frame-size":
            #expect(body(events).count == 16384)
            #expect(described.first == "response 1 200")
        case "continuation-split-ok":
            #expect(described == ["response 1 200 end", "closed 1"])
        case "data-padding-ok":
            #expect(body(events) == Array("abc".utf8))
        case "priority-ignored":
            #expect(described == ["response 1 200 end", "closed 1"])
        case "resp-content-length-ok":
            #expect(body(events) == Array("hello".utf8))
            #expect(described.first == "response 1 200")
        case "resp-1xx-then-final":
            #expect(described == ["informational 1 103", "response 1 200 end", "closed 1"])
        case "resp-trailers":
            #expect(body(events) == Array("ok".utf8))
            let trailers = events.compactMap { event -> HTTP2HeaderFields? in
                if case .trailers(_, let fields) = event { return fields }
                return nil
            }
            #expect(trailers.first?.firstValue(for: "x-checksum") == "abc")
        default:
            Issue.record("no response check for \(scenario.id)")
        }
    }
}

extension ByteBuffer {
    init(repeating byte: UInt8, count: Int) {
        self.init(capacity: count)
        writeRepeating(byte, count: count)
    }
}
