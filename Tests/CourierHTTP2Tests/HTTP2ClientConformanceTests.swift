import CourierCore
import CourierHPACK
import Testing
@testable import CourierHTTP2

/// The requirements of RFC 9113 that apply to a client, one test (or one table) per rule, named
/// after the section they check. The server is played frame by frame (`Peer`).
@Suite struct HTTP2ClientConformanceTests {
    // MARK: §3.4 Connection preface

    @Test func section3_4_clientSendsThePrefaceThenSettingsThenConnectionCredit() {
        var peer = Peer(connection: HTTP2Connection(role: .client, now: .zero))
        let bytes = peer.sentBytes()
        #expect(bytes.getBytes(at: 0, length: 24) == HTTP2ConnectionPreface.bytes)
        let frames = H2.frames(in: bytes)
        guard frames.count == 2, case .settings(let settings) = frames[0].payload,
              case .windowUpdate(let increment) = frames[1].payload else { Issue.record("\(frames)"); return }
        #expect(!settings.ack)
        #expect(Array(settings.settings) == [HTTP2Setting(.enablePush, 0), HTTP2Setting(.initialWindowSize, 1 << 20),
                                             HTTP2Setting(.maxHeaderListSize, 65536)])
        #expect(frames[1].streamID == .root && Int(increment) == (4 << 20) - 65535)
    }

    static let notSettingsFirst: [[UInt8]] = [
        H2.ping(1), H2.settings(ack: true), H2.windowUpdate(0, 100), H2.headers(1, [(":status", "200")]),
        H2.data(1, "x"), H2.goAway(last: 0, .noError), H2.frame(HTTP2FrameType(0xfa), [1]),
    ]

    @Test(arguments: notSettingsFirst)
    func section3_4_theServersFirstFrameMustBeSettings(_ first: [UInt8]) {
        var peer = Peer.client(handshake: false)
        peer.open()
        let events = peer.feed(first)
        #expect(events.connectionError?.code == .unexpectedFrame)
        #expect(peer.sent().goAway?.errorCode == .protocolError)
    }

    @Test func section3_4_requestsMayBeSentBeforeTheServerPreface() {
        var peer = Peer.client(handshake: false)
        let stream = peer.open()
        #expect(stream == 1 && peer.sent().headerFrames.count == 1)
        #expect(peer.feedDescribed(H2.settings() + H2.headers(1, [(":status", "200")], endStream: true))
            == ["remoteSettings", "response 1 200 end", "closed 1"])
    }

    // MARK: §4.1 Frame format

    @Test func section4_1_framesOfUnknownTypesAreIgnoredOnAnyStream() {
        var peer = Peer.client()
        peer.open(flush: true)
        for stream: UInt32 in [0, 1, 2, 99, 0x7fff_ffff] {
            #expect(peer.feed(H2.frame(HTTP2FrameType(0xbb), flags: 0xff, stream: stream, [1, 2, 3])).isEmpty)
        }
        #expect(peer.sent().isEmpty)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true)) == ["response 1 200 end", "closed 1"])
    }

    @Test func section4_1_weSendNoUnusedFlagsAndNoReservedBits() throws {
        var peer = Peer.client()
        let stream = peer.open([(":method", "POST"), (":scheme", "https"), (":authority", "a"), (":path", "/")],
                               endStream: false)
        var body = ByteBuffer(repeating: 1, count: 40000)
        try peer.connection.sendData(stream, &body, endStream: true)
        try peer.connection.sendPing(HTTP2PingData(7))
        _ = peer.feed(H2.ping(9) + H2.settings([(0x3, 10)]))
        peer.connection.resetStream(stream)
        peer.connection.goAway()
        let bytes = peer.sentBytes()
        var index = bytes.readerIndex
        let defined: [UInt8: UInt8] = [0: 0x9, 1: 0x2d, 2: 0, 3: 0, 4: 0x1, 5: 0xc, 6: 0x1, 7: 0, 8: 0, 9: 0x4]
        var count = 0
        while index < bytes.writerIndex {
            let header = try #require(HTTP2FrameHeader(peekingAt: bytes.getSlice(at: index, length: bytes.writerIndex - index)!))
            #expect(header.flags.rawValue & ~defined[header.type.rawValue]! == 0, "\(header)")
            #expect(bytes.getInteger(at: index + 5, as: UInt8.self)! & 0x80 == 0)
            index += 9 + header.length
            count += 1
        }
        #expect(count >= 8)
    }

    // MARK: §4.2 Frame size

    @Test func section4_2_ourFramesFitThePeersMaximumFrameSize() throws {
        for maximum in [16384, 20000, 100_000] {
            var peer = Peer.client(serverSettings: [(0x5, UInt32(maximum)), (0x4, 1 << 30)])
            _ = peer.feed(H2.windowUpdate(0, 1 << 30))
            let stream = peer.open([(":method", "PUT"), (":scheme", "https"), (":authority", "a"), (":path", "/")],
                                   endStream: false)
            var body = ByteBuffer(repeating: 2, count: 300_000)
            #expect(try peer.connection.sendData(stream, &body, endStream: true) == 300_000)
            let data = peer.sent().dataFrames
            #expect(data.allSatisfy { $0.1.data.readableBytes <= maximum })
            #expect(data.reduce(0) { $0 + $1.1.data.readableBytes } == 300_000)
            #expect(data.last?.1.endStream == true && data.dropLast().allSatisfy { !$0.1.endStream })
        }
    }

    @Test func section4_2_largeHeaderBlocksGoOutAsHeadersAndContinuation() throws {
        var peer = Peer.client()
        let big = String(repeating: "v", count: 10000)
        _ = try peer.connection.openStream(H2.list(H2.get + [("x-big", big), ("x-big2", big)]), endStream: true)
        let frames = peer.sent()
        #expect(frames.count == 2)
        guard case .headers(let headers) = frames[0].payload, case .continuation(let continuation) = frames[1].payload
        else { Issue.record("\(frames)"); return }
        #expect(!headers.endHeaders && headers.endStream && headers.fragment.readableBytes == 16384)
        #expect(continuation.endHeaders && frames[1].streamID == 1)
        // The server side decodes it back.
        var server = Peer.server()
        var wire = ByteBuffer()
        for frame in frames { HTTP2FrameEncoder.encode(frame, into: &wire) }
        let events = server.feed(Array(wire.readableBytesView))
        guard case .request(_, let head, _) = events.first else { Issue.record("\(events.described)"); return }
        #expect(head.fields.firstValue(for: "x-big") == big && head.fields.firstValue(for: "x-big2") == big)
    }

    @Test func section4_2_frameAboveOurMaximumIsAConnectionFrameSizeError() {
        var peer = Peer.client()
        peer.open()
        let events = peer.feed(H2.frame(.ping, [UInt8](repeating: 0, count: 16385)))
        #expect(events.connectionError?.code == .frameTooLarge)
        #expect(peer.sent().goAway?.errorCode == .frameSizeError)
    }

    // MARK: §4.3 Field section compression

    @Test func section4_3_fieldBlocksOfDiscardedStreamsStillUpdateTheDecoder() {
        var peer = Peer.client()
        peer.open()
        peer.open()
        peer.connection.resetStream(1)
        #expect(peer.sent().resets.map(\.0) == [1])
        // Stream 1's response adds "x-session: s1" to the dynamic table; stream 3's refers to it.
        let first = peer.encodedHeaders(1, [(":status", "200"), ("x-session", "s1")], endStream: true)
        #expect(peer.feed(first).isEmpty, "stream 1 was reset: its HEADERS are decoded, then dropped")
        let second = peer.encodedHeaders(3, [(":status", "200"), ("x-session", "s1")], endStream: true)
        #expect(second.count < first.count, "the second block indexes the entry")
        let events = peer.feed(second)
        guard case .response(3, let head, true) = events.first else { Issue.record("\(events.described)"); return }
        #expect(head.fields.firstValue(for: "x-session") == "s1")
    }

    @Test func section4_3_anUndecodableFieldBlockIsACompressionError() {
        var peer = Peer.client()
        peer.open()
        let events = peer.feed(H2.headers(1, block: [0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))
        #expect(events.connectionError?.code == .compressionFailed)
        #expect(events.connectionError?.hpackError != nil)
        #expect(peer.sent().goAway?.errorCode == .compressionError)
    }

    static let interleaved: [(String, [UInt8])] = [
        ("PING", H2.ping(1)), ("DATA on the same stream", H2.data(1, "x")),
        ("HEADERS on another stream", H2.headers(3, [(":status", "200")])),
        ("CONTINUATION on another stream", H2.continuation(3, [0x88])),
        ("PRIORITY", H2.frame(.priority, stream: 1, [0, 0, 0, 0, 16])), ("SETTINGS", H2.settings()),
        ("WINDOW_UPDATE", H2.windowUpdate(0, 1)), ("RST_STREAM", H2.rst(1, .cancel)),
        ("an extension frame (§5.5)", H2.frame(HTTP2FrameType(0xfa), [1])),
        ("a PRIORITY of the wrong length", H2.frame(.priority, stream: 1, [0, 0, 0, 0])),
    ]

    @Test(arguments: interleaved.map(\.0))
    func section4_3_and_6_10_fieldBlocksAreContiguous(_ name: String) {
        let frame = Self.interleaved.first { $0.0 == name }!.1
        var peer = Peer.client()
        peer.open()
        peer.open()
        let events = peer.feed(H2.headers(1, [(":status", "200")], endHeaders: false) + frame)
        #expect(events.connectionError?.code == .unexpectedFrame, "\(name): \(events.described)")
        #expect(peer.sent().goAway?.errorCode == .protocolError)
    }

    @Test func section4_3_1_aSmallerHeaderTableTakesEffectWhenAcknowledged() {
        var configuration = HTTP2Configuration()
        configuration.headerTableSize = 256
        // Before our SETTINGS are acknowledged the server may still use 4096 octets.
        var peer = Peer.client(configuration, handshake: false)
        peer.open()
        peer.open()
        _ = peer.feed(H2.settings())
        let big = String(repeating: "b", count: 1000)
        #expect(peer.feed(peer.encodedHeaders(1, [(":status", "200"), ("x-big", big)], endStream: true)).count == 2)
        // After the ACK, a block that does not start with a size update is a COMPRESSION_ERROR.
        #expect(peer.feedDescribed(H2.settings(ack: true)) == ["settingsAcknowledged"])
        let events = peer.feed(H2.headers(3, [(":status", "200")], endStream: true))
        #expect(events.connectionError?.hpackError?.code == .tableSizeUpdateMissing)
        #expect(peer.sent().goAway?.errorCode == .compressionError)
    }

    @Test func section4_3_1_aConformantSizeUpdateIsAccepted() {
        var configuration = HTTP2Configuration()
        configuration.headerTableSize = 0
        var peer = Peer.client(configuration, handshake: false)
        peer.open()
        _ = peer.feed(H2.settings() + H2.settings(ack: true))
        #expect(peer.feedDescribed(H2.headers(1, block: [0x20, 0x88], endStream: true)) == ["response 1 200 end", "closed 1"])
    }

    // MARK: §5.1 Stream states

    static let idleStreamFrames: [(String, [UInt8], HTTP2ErrorCode?)] = [
        ("DATA", H2.data(3, "x"), .protocolError), ("RST_STREAM", H2.rst(3, .cancel), .protocolError),
        ("WINDOW_UPDATE", H2.windowUpdate(3, 10), .protocolError),
        ("HEADERS on our idle stream", H2.headers(3, [(":status", "200")]), .protocolError),
        ("HEADERS on a server stream", H2.headers(4, [(":status", "200")]), .protocolError),
        ("PRIORITY", H2.frame(.priority, stream: 3, [0, 0, 0, 1, 16]), nil),
        ("PRIORITY on a server stream", H2.frame(.priority, stream: 8, [0, 0, 0, 0, 16]), nil),
    ]

    @Test(arguments: idleStreamFrames.map(\.0))
    func section5_1_idle_onlyHeadersAndPriorityMayArrive(_ name: String) {
        let (_, frame, code) = Self.idleStreamFrames.first { $0.0 == name }!
        var peer = Peer.client()
        peer.open(flush: true)
        let events = peer.feed(frame)
        #expect(events.connectionError?.wireCode == code, "\(name): \(events.described)")
        if code == nil { #expect(peer.sent().isEmpty && events.isEmpty) }
    }

    @Test func section5_1_queuedStreamsAreStillIdle() {
        var peer = Peer.client(serverSettings: [(0x3, 1)])
        peer.open()
        let queued = try! peer.connection.openStream(H2.list(H2.get), endStream: true)
        #expect(queued.isQueued && peer.connection.state(of: queued.id) == .idle)
        #expect(peer.feed(H2.headers(3, [(":status", "200")])).connectionError?.code == .idleStream)
    }

    @Test func section5_1_halfClosedRemote_framesOtherThanWindowUpdatePriorityAndResetAreStreamClosed() throws {
        var peer = Peer.client()
        let stream = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")],
                               endStream: false)
        _ = peer.feed(H2.headers(1, [(":status", "200")], endStream: true))
        #expect(peer.connection.state(of: stream) == .halfClosedRemote)
        #expect(peer.feed(H2.windowUpdate(1, 10) + H2.frame(.priority, stream: 1, [0, 0, 0, 0, 1])).isEmpty)
        let events = peer.feed(H2.data(1, "late"))
        #expect(events.streamErrors.first?.1.code == .streamClosed && events.streamErrors.first?.0 == 1)
        #expect(peer.sent().resets.first?.1 == .streamClosed)
        #expect(!peer.connection.isClosed)
    }

    @Test func section5_1_closedByOurReset_framesInFlightAreDiscardedButDataCountsOnTheConnection() {
        var configuration = HTTP2Configuration()
        configuration.connectionWindowSize = 65535
        var peer = Peer.client(configuration)
        peer.open()
        peer.connection.resetStream(1, code: .cancel)
        #expect(peer.sent().resets.map(\.1) == [.cancel])
        var events: [HTTP2Event] = []
        events += peer.feed(H2.headers(1, [(":status", "200")]))
        for _ in 0..<3 { events += peer.feed(H2.data(1, [UInt8](repeating: 0, count: 16000))) }
        events += peer.feed(H2.windowUpdate(1, 5) + H2.rst(1, .cancel) + H2.frame(.priority, stream: 1, [0, 0, 0, 0, 1]))
        #expect(events.isEmpty, "\(events.described)")
        // 48,000 octets were discarded: the connection window gets them back (half a window passed).
        #expect(peer.sent().windowUpdates.map(\.0) == [.root])
        #expect(peer.connection.connectionReceiveWindow == 65535)
    }

    static let afterEndStream: [(String, [UInt8], HTTP2ErrorCode?)] = [
        ("DATA", H2.data(1, "x"), .streamClosed), ("HEADERS", H2.headers(1, [("x", "y")], endStream: true), .streamClosed),
        ("WINDOW_UPDATE", H2.windowUpdate(1, 10), nil), ("RST_STREAM", H2.rst(1, .noError), nil),
        ("PRIORITY", H2.frame(.priority, stream: 1, [0, 0, 0, 0, 1]), nil),
    ]

    @Test(arguments: afterEndStream.map(\.0))
    func section5_1_closed_framesAfterEndStream(_ name: String) {
        let (_, frame, code) = Self.afterEndStream.first { $0.0 == name }!
        var peer = Peer.client()
        peer.open(flush: true)
        _ = peer.feed(H2.headers(1, [(":status", "200")], endStream: true))
        #expect(peer.connection.state(of: 1) == .closed)
        let events = peer.feed(frame)
        #expect(events.connectionError?.wireCode == code, "\(name): \(events.described)")
        if code == nil { #expect(events.isEmpty && peer.sent().isEmpty) }
    }

    @Test func section5_1_nothingIsSentOnAClosedStream() {
        var peer = Peer.client()
        let stream = peer.open()
        _ = peer.feed(H2.headers(1, [(":status", "200")], endStream: true))
        _ = peer.sent()
        var data = ByteBuffer(string: "x")
        #expect(throws: HTTP2Error.self) { try peer.connection.sendData(stream, &data, endStream: true) }
        #expect(throws: HTTP2Error.self) { try peer.connection.sendTrailers(stream, H2.list([("x", "y")])) }
        peer.connection.resetStream(stream)
        #expect(peer.sent().isEmpty)
        do {
            try peer.connection.sendData(stream, &data, endStream: false)
        } catch {
            #expect(error.isLocalMisuse && error.code == .streamNotWritable)
        }
    }

    // MARK: §5.1.1 Stream identifiers

    @Test func section5_1_1_clientStreamsAreOddAndIncreasing() {
        var peer = Peer.client()
        let ids = (0..<4).map { _ in peer.open() }
        #expect(ids == [1, 3, 5, 7])
        #expect(peer.sent().headerFrames.map(\.0) == [1, 3, 5, 7])
    }

    @Test func section5_1_1_exhaustedIdentifiersNeedANewConnection() throws {
        var peer = Peer.client()
        peer.connection.nextStreamID = HTTP2StreamID.maximum.rawValue - 2
        #expect(peer.connection.remainingStreamIDs == 2)
        #expect(peer.open() == HTTP2StreamID(HTTP2StreamID.maximum.rawValue - 2))
        #expect(peer.open() == HTTP2StreamID.maximum)
        #expect(!peer.connection.canOpenStream && peer.connection.remainingStreamIDs == 0)
        do {
            _ = try peer.connection.openStream(H2.list(H2.get), endStream: true)
            Issue.record("opened a stream past 2^31 - 1")
        } catch {
            #expect(error.code == .streamIDsExhausted && error.needsNewConnection && error.isLocalMisuse)
        }
        // The streams already open finish normally.
        #expect(peer.feedDescribed(H2.headers(HTTP2StreamID.maximum.rawValue, [(":status", "200")], endStream: true))
            == ["response 2147483647 200 end", "closed 2147483647"])
    }

    // MARK: §5.1.2 Stream concurrency

    @Test func section5_1_2_streamsBeyondTheLimitWaitInOrder() {
        var peer = Peer.client(serverSettings: [(0x3, 2)])
        let opened = (0..<5).map { _ in try! peer.connection.openStream(H2.list(H2.get), endStream: true) }
        #expect(opened.map(\.isQueued) == [false, false, true, true, true])
        #expect(peer.sent().headerFrames.map(\.0) == [1, 3])
        #expect(peer.connection.queuedStreamCount == 3)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true))
            == ["response 1 200 end", "closed 1", "started 5"])
        #expect(peer.feedDescribed(H2.rst(3, .refusedStream)) == ["reset 3 REFUSED_STREAM", "started 7"])
        #expect(peer.sent().headerFrames.map(\.0) == [5, 7])
        // Raising the limit starts the rest at once.
        #expect(peer.feedDescribed(H2.settings([(0x3, 10)])) == ["remoteSettings", "started 9"])
    }

    @Test func section5_1_2_aLowerLimitLetsOpenStreamsFinish() {
        var peer = Peer.client()
        peer.open()
        peer.open()
        _ = peer.feed(H2.settings([(0x3, 1)]))
        #expect(try! peer.connection.openStream(H2.list(H2.get), endStream: true).isQueued)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true)) == ["response 1 200 end", "closed 1"])
        #expect(peer.feedDescribed(H2.headers(3, [(":status", "200")], endStream: true))
            == ["response 3 200 end", "closed 3", "started 5"])
    }

    @Test func section5_1_2_beforeTheServerSettingsWeAssumeAHundred() {
        var peer = Peer.client(handshake: false)
        let opened = (0..<101).map { _ in try! peer.connection.openStream(H2.list(H2.get), endStream: true) }
        #expect(opened.filter(\.isQueued).count == 1)
        // SETTINGS without MAX_CONCURRENT_STREAMS means no limit.
        #expect(peer.feedDescribed(H2.settings()) == ["remoteSettings", "started 201"])
    }

    @Test func section5_1_2_aQueuedStreamCanBeCancelledWithoutTrace() {
        var peer = Peer.client(serverSettings: [(0x3, 1)])
        peer.open()
        let queued = try! peer.connection.openStream(H2.list(H2.get), endStream: true)
        _ = peer.sent()
        peer.connection.resetStream(queued.id)
        #expect(peer.sent().isEmpty)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true)) == ["response 1 200 end", "closed 1"])
        #expect(peer.connection.queuedStreamCount == 0)
    }

    // MARK: §5.4 Error handling

    @Test func section5_4_1_aConnectionErrorSendsGoAwayThenNothingElse() throws {
        var peer = Peer.client()
        peer.open(flush: true)
        let events = peer.feed(H2.data(0, "x") + H2.ping(1))
        #expect(events.described == ["connectionError PROTOCOL_ERROR"])
        let sent = peer.sent()
        #expect(sent.count == 1 && sent.goAway?.lastStreamID == 0)
        #expect(peer.connection.isClosed && peer.connection.nextDeadline == nil)
        #expect(peer.feed(H2.ping(2)).isEmpty && peer.sent().isEmpty)
        #expect(throws: HTTP2Error.self) { try peer.connection.openStream(H2.list(H2.get), endStream: true) }
        #expect(throws: HTTP2Error.self) { try peer.connection.sendPing(HTTP2PingData(1)) }
    }

    @Test func section5_4_2_aStreamErrorResetsOnlyThatStream() {
        var peer = Peer.client()
        peer.open()
        peer.open()
        let events = peer.feed(H2.headers(1, [(":status", "200"), ("Bad", "x")]))
        #expect(events.described == ["streamError 1 PROTOCOL_ERROR"])
        #expect(peer.sent().resets.map { "\($0.0) \($0.1)" } == ["1 PROTOCOL_ERROR"])
        #expect(peer.feedDescribed(H2.headers(3, [(":status", "200")], endStream: true)) == ["response 3 200 end", "closed 3"])
    }

    @Test func section5_4_2_noResetInReplyToAReset() {
        var peer = Peer.client()
        peer.open(flush: true)
        #expect(peer.feedDescribed(H2.rst(1, .internalError)) == ["reset 1 INTERNAL_ERROR"])
        #expect(peer.feed(H2.rst(1, .internalError)).isEmpty)
        #expect(peer.sent().isEmpty)
    }

    // MARK: §6.1 DATA

    @Test func section6_1_paddingCountsTowardFlowControlAndIsCreditedAtOnce() {
        var peer = Peer.client()
        peer.open()
        _ = peer.feed(H2.headers(1, [(":status", "200")]))
        let windowBefore = peer.connection.connectionReceiveWindow
        let events = peer.feed(H2.data(1, Array("0123456789".utf8), padding: 100))
        #expect(events.described == ["data 1 10"])
        #expect(peer.connection.connectionReceiveWindow == windowBefore - 111)
        #expect(peer.connection.connectionUnacknowledged == 101, "padding and its length octet are returned at once")
        #expect(peer.connection.streams[1]!.unacknowledgedConsumed == 101)
    }

    // MARK: §6.3 PRIORITY

    @Test func section6_3_priorityIsAcceptedAndIgnoredInEveryState() {
        var peer = Peer.client()
        peer.open(flush: true)
        peer.open(flush: true)
        _ = peer.feed(H2.headers(3, [(":status", "200")], endStream: true))
        for stream: UInt32 in [1, 3, 5, 6] {
            #expect(peer.feed(H2.frame(.priority, stream: stream, [0x80, 0, 0, 0, 255])).isEmpty)
        }
        #expect(peer.sent().isEmpty)
        // On itself: a stream error for an open stream.
        #expect(peer.feedDescribed(H2.frame(.priority, stream: 1, [0, 0, 0, 1, 0])) == ["streamError 1 PROTOCOL_ERROR"])
    }

    // MARK: §6.4 RST_STREAM and §7 error codes

    @Test func section6_4_and_7_resetCodesArePassedOnUnchanged() {
        var peer = Peer.client()
        for code: UInt32 in [0, 2, 8, 0xb, 0x1234] {
            let stream = peer.open(flush: true)
            #expect(peer.feedDescribed(H2.rst(stream.rawValue, HTTP2ErrorCode(code)))
                == ["reset \(stream) \(HTTP2ErrorCode(code))"])
        }
        #expect(peer.sent().isEmpty && !peer.connection.isClosed)
    }

    // MARK: §6.5 SETTINGS

    @Test func section6_5_eachSettingsFrameIsAppliedInOrderAndAcknowledgedOnce() {
        var peer = Peer.client()
        _ = peer.feed(H2.settings([(0x4, 1000), (0x4, 2000), (0x3, 5), (0x5, 20000)]) + H2.settings([(0x6, 100)]))
        #expect(peer.sent().settingsAcks == 2)
        let remote = peer.connection.remoteSettings
        #expect(remote.initialWindowSize == 2000 && remote.maxConcurrentStreams == 5 && remote.maxFrameSize == 20000)
        #expect(remote.maxHeaderListSize == 100)
        do {
            _ = try peer.connection.openStream(H2.list(H2.get), endStream: true)
            Issue.record("sent a header list above the peer's SETTINGS_MAX_HEADER_LIST_SIZE")
        } catch {
            #expect(error.code == .headerListTooLargeForPeer)
        }
    }

    @Test func section6_5_2_enablePushZeroFromAServerIsFine() {
        var peer = Peer.client()
        #expect(peer.feedDescribed(H2.settings([(0x2, 0)])) == ["remoteSettings"])
    }

    @Test func section6_5_3_anUnacknowledgedSettingsFrameTimesOut() {
        var peer = Peer.client(handshake: false)
        _ = peer.feed(H2.settings())
        _ = peer.sent()
        #expect(peer.connection.nextDeadline == peer.now + .seconds(10))
        #expect(peer.advance(by: .seconds(9)).isEmpty)
        let events = peer.advance(by: .seconds(1))
        #expect(events.connectionError?.code == .settingsTimeout && events.connectionError?.origin == .library)
        #expect(peer.sent().goAway?.errorCode == .settingsTimeout)
    }

    @Test func section6_5_3_anAcknowledgementClearsTheTimeout() {
        var peer = Peer.client()
        #expect(peer.connection.settingsDeadline == nil)
        // What remains is the end of the SETTINGS flood counter's window.
        #expect(peer.connection.nextDeadline == peer.now + .seconds(10))
        #expect(peer.advance(by: .seconds(60)).isEmpty)
        #expect(peer.connection.nextDeadline == nil && !peer.connection.isClosed)
    }

    @Test func section6_5_3_anUnsolicitedAcknowledgementIsAProtocolError() {
        var peer = Peer.client()
        #expect(peer.feed(H2.settings(ack: true)).connectionError?.wireCode == .protocolError)
    }

    // MARK: §6.7 PING

    @Test func section6_7_ourPingIsAcknowledged() throws {
        var peer = Peer.client()
        try peer.connection.sendPing(HTTP2PingData(0xfeed))
        let sent = peer.sent()
        guard case .ping(let ping) = sent.first?.payload else { Issue.record("\(sent)"); return }
        #expect(!ping.ack && ping.data == HTTP2PingData(0xfeed))
        #expect(peer.feedDescribed(H2.ping(0xfeed, ack: true)) == ["pingAck 0x000000000000feed"])
        #expect(peer.sent().isEmpty)
    }

    // MARK: §6.8 GOAWAY

    @Test func section6_8_streamsAboveTheLastStreamAndQueuedStreamsAreUnprocessed() {
        var peer = Peer.client(serverSettings: [(0x3, 3)])
        for _ in 0..<5 { peer.open(flush: true) }
        let events = peer.feed(H2.goAway(last: 3, .noError, debug: "maintenance"))
        guard case .goAway(let goAway) = events.first else { Issue.record("\(events.described)"); return }
        #expect(goAway.unprocessedStreams == [5, 7, 9] && goAway.lastStreamID == 3)
        #expect(String(decoding: goAway.debugData.readableBytesView, as: UTF8.self) == "maintenance")
        #expect(peer.connection.activeStreamCount == 2 && peer.connection.queuedStreamCount == 0)
        #expect(peer.connection.isGoingAway && !peer.connection.canOpenStream)
        do {
            _ = try peer.connection.openStream(H2.list(H2.get), endStream: true)
            Issue.record("opened a stream after GOAWAY")
        } catch {
            #expect(error.code == .connectionGoingAway && error.needsNewConnection)
        }
        // A later GOAWAY cannot raise the last stream; a lower one fails the rest.
        let second = peer.feed(H2.goAway(last: 1, .internalError))
        #expect(second.described == ["goAway 1 INTERNAL_ERROR [3]"])
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true))
            == ["response 1 200 end", "closed 1", "readyToClose"])
        #expect(peer.sent().isEmpty, "no reply to GOAWAY")
    }

    @Test func section6_8_ourGracefulGoAwayLetsStreamsFinish() {
        var peer = Peer.client(serverSettings: [(0x3, 1)])
        peer.open()
        let queued = try! peer.connection.openStream(H2.list(H2.get), endStream: true)
        _ = peer.sent()
        #expect(peer.connection.goAway() == [queued.id])
        let goAway = peer.sent().goAway
        #expect(goAway?.lastStreamID == 0 && goAway?.errorCode == .noError)
        #expect(!peer.connection.canOpenStream)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "200")], endStream: true))
            == ["response 1 200 end", "closed 1", "readyToClose"])
    }

    // MARK: §6.9 WINDOW_UPDATE

    @Test func section6_9_sendDataNeverExceedsEitherWindow() throws {
        var peer = Peer.client()
        let a = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/a")], endStream: false)
        let b = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/b")], endStream: false)
        var first = ByteBuffer(repeating: 1, count: 50000)
        var second = ByteBuffer(repeating: 2, count: 50000)
        #expect(try peer.connection.sendData(a, &first, endStream: true) == 50000)
        #expect(try peer.connection.sendData(b, &second, endStream: true) == 15535, "the connection window is 65535")
        #expect(second.readableBytes == 34465 && peer.connection.connectionWindow == 0)
        _ = peer.sent()
        // Stream credit alone does not open a connection-blocked stream; connection credit does.
        #expect(peer.feed(H2.windowUpdate(b.rawValue, 100_000)).isEmpty)
        #expect(peer.feedDescribed(H2.windowUpdate(0, 10000)) == ["windowOpened 3"])
        #expect(try peer.connection.sendData(b, &second, endStream: true) == 10000)
        #expect(peer.sent().dataFrames.map(\.1.data.readableBytes).reduce(0, +) == 10000)
    }

    @Test func section6_9_windowUpdateOnHalfClosedAndClosedStreamsIsNotAnError() {
        var peer = Peer.client()
        peer.open(flush: true)  // half-closed (local)
        #expect(peer.feed(H2.windowUpdate(1, 100)).isEmpty)
        _ = peer.feed(H2.headers(1, [(":status", "200")], endStream: true))
        #expect(peer.feed(H2.windowUpdate(1, 100)).isEmpty && peer.sent().isEmpty)
    }

    // MARK: §6.9.2 Initial window size

    @Test func section6_9_2_initialWindowChangesMoveOpenStreamsWindows() throws {
        var peer = Peer.client()
        let stream = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")],
                               endStream: false)
        var body = ByteBuffer(repeating: 0, count: 70000)
        #expect(try peer.connection.sendData(stream, &body, endStream: true) == 65535)
        _ = peer.feed(H2.windowUpdate(0, 1 << 20))
        #expect(peer.connection.sendWindow(for: stream) == 0)
        // Shrinking makes the window negative (§6.9.2 example), growing reopens it.
        _ = peer.feed(H2.settings([(0x4, 16384)]))
        #expect(peer.connection.streams[stream]!.sendWindow == 16384 - 65535)
        #expect(try peer.connection.sendData(stream, &body, endStream: true) == 0)
        #expect(peer.feedDescribed(H2.settings([(0x4, 65535 + 100)])) == ["windowOpened 1", "remoteSettings"])
        #expect(try peer.connection.sendData(stream, &body, endStream: true) == 100)
        // New streams start at the new value.
        let next = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")],
                             endStream: false)
        #expect(peer.connection.sendWindow(for: next) == 65635)
    }

    @Test func section6_9_2_aWindowPushedAboveTheMaximumBySettingsIsAConnectionError() {
        var peer = Peer.client()
        peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")], endStream: false)
        _ = peer.feed(H2.windowUpdate(1, 0x7fff_ffff - 65535))
        let events = peer.feed(H2.settings([(0x4, 65536)]))
        #expect(events.connectionError?.code == .windowOverflow)
        #expect(peer.sent().goAway?.errorCode == .flowControlError)
    }

    // MARK: §8.1 Message framing

    @Test func section8_1_aCompleteResponseSurvivesAResetWithNoError() throws {
        var peer = Peer.client()
        let stream = peer.open([(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")],
                               endStream: false)
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "413")]) + H2.data(1, "too big", endStream: true)
            + H2.rst(1, .noError)) == ["response 1 413", "data 1 7 end", "reset 1 NO_ERROR"])
        var body = ByteBuffer(string: "more")
        #expect(throws: HTTP2Error.self) { try peer.connection.sendData(stream, &body, endStream: true) }
    }

    @Test func section8_1_severalInterimResponsesMayPrecedeTheFinalOne() {
        var peer = Peer.client()
        peer.open()
        #expect(peer.feedDescribed(H2.headers(1, [(":status", "100")]) + H2.headers(1, [(":status", "103"), ("link", "</a>")])
            + H2.headers(1, [(":status", "200")], endStream: true))
            == ["informational 1 100", "informational 1 103", "response 1 200 end", "closed 1"])
    }

    static let framingViolations: [(String, [UInt8])] = [
        ("1xx with END_STREAM", H2.headers(1, [(":status", "103")], endStream: true)),
        ("DATA after a 1xx", H2.headers(1, [(":status", "100")]) + H2.data(1, "x")),
        ("DATA before any head", H2.data(1, "x")),
        ("second final head", H2.headers(1, [(":status", "200")]) + H2.headers(1, [(":status", "200")], endStream: true)),
        ("trailers without END_STREAM", H2.headers(1, [(":status", "200")]) + H2.headers(1, [("x", "y")])),
    ]

    @Test(arguments: framingViolations.map(\.0))
    func section8_1_messageFramingViolationsAreMalformed(_ name: String) {
        let bytes = Self.framingViolations.first { $0.0 == name }!.1
        var peer = Peer.client()
        peer.open()
        let errors = peer.feed(bytes).streamErrors
        #expect(errors.map(\.0) == [1], "\(name)")
        #expect(errors.first?.1.isMalformedMessage == true && errors.first?.1.wireCode == .protocolError)
    }

    // MARK: §8.1.1 content-length

    struct ContentLengthCase: CustomStringConvertible, Sendable {
        var name: String
        var method = "GET"
        var frames: [UInt8]
        var valid: Bool
        var description: String { name }
    }

    static let contentLengthCases: [ContentLengthCase] = [
        .init(name: "matching", frames: H2.headers(1, [(":status", "200"), ("content-length", "3")])
              + H2.data(1, "ab") + H2.data(1, "c", endStream: true), valid: true),
        .init(name: "HEAD with content-length and no content", method: "HEAD",
              frames: H2.headers(1, [(":status", "200"), ("content-length", "1000")], endStream: true), valid: true),
        .init(name: "304 with content-length", frames: H2.headers(1, [(":status", "304"), ("content-length", "1000")],
                                                                  endStream: true), valid: true),
        .init(name: "204 with content-length 0", frames: H2.headers(1, [(":status", "204"), ("content-length", "0")],
                                                                    endStream: true), valid: true),
        .init(name: "repeated equal values", frames: H2.headers(1, [(":status", "200"), ("content-length", "1"),
                                                                    ("content-length", "1")]) + H2.data(1, "a", endStream: true),
              valid: true),
        .init(name: "too much DATA", frames: H2.headers(1, [(":status", "200"), ("content-length", "1")]) + H2.data(1, "ab"),
              valid: false),
        .init(name: "too little DATA", frames: H2.headers(1, [(":status", "200"), ("content-length", "3")])
              + H2.data(1, "ab", endStream: true), valid: false),
        .init(name: "END_STREAM on the head", frames: H2.headers(1, [(":status", "200"), ("content-length", "3")],
                                                                 endStream: true), valid: false),
        .init(name: "trailers before all content", frames: H2.headers(1, [(":status", "200"), ("content-length", "3")])
              + H2.data(1, "ab") + H2.headers(1, [("x", "y")], endStream: true), valid: false),
        .init(name: "DATA on a HEAD response", method: "HEAD",
              frames: H2.headers(1, [(":status", "200"), ("content-length", "3")]) + H2.data(1, "abc", endStream: true),
              valid: false),
        .init(name: "conflicting values", frames: H2.headers(1, [(":status", "200"), ("content-length", "1"),
                                                                 ("content-length", "2")]), valid: false),
        .init(name: "not a number", frames: H2.headers(1, [(":status", "200"), ("content-length", "1x")]), valid: false),
        .init(name: "a list", frames: H2.headers(1, [(":status", "200"), ("content-length", "1, 1")]), valid: false),
        .init(name: "negative", frames: H2.headers(1, [(":status", "200"), ("content-length", "-1")]), valid: false),
    ]

    @Test(arguments: contentLengthCases)
    func section8_1_1_contentLengthMustMatchTheData(_ example: ContentLengthCase) {
        var peer = Peer.client()
        peer.open([(":method", example.method), (":scheme", "http"), (":authority", "a"), (":path", "/")])
        let events = peer.feed(example.frames)
        if example.valid {
            #expect(events.streamErrors.isEmpty && events.described.last == "closed 1", "\(events.described)")
        } else {
            #expect(events.streamErrors.map(\.0) == [1], "\(events.described)")
            #expect(events.streamErrors.first?.1.isMalformedMessage == true)
            #expect(peer.sent().resets.first?.1 == .protocolError)
        }
    }

    // MARK: §8.2 Fields, §8.3 control data

    static let malformedResponses: [(String, [(String, String)])] = [
        ("uppercase name", [(":status", "200"), ("Content-Type", "x")]),
        ("space in a name", [(":status", "200"), ("x y", "1")]),
        ("colon inside a name", [(":status", "200"), ("x:y", "1")]),
        ("empty name", [(":status", "200"), ("", "1")]),
        ("non-ASCII name", [(":status", "200"), ("caf\u{e9}", "1")]),
        ("NUL in a value", [(":status", "200"), ("x", "a\u{0}b")]),
        ("CR in a value", [(":status", "200"), ("x", "a\rb")]),
        ("LF in a value", [(":status", "200"), ("x", "a\nb")]),
        ("leading space", [(":status", "200"), ("x", " a")]),
        ("trailing tab", [(":status", "200"), ("x", "a\t")]),
        ("connection", [(":status", "200"), ("connection", "close")]),
        ("keep-alive", [(":status", "200"), ("keep-alive", "timeout=5")]),
        ("proxy-connection", [(":status", "200"), ("proxy-connection", "keep-alive")]),
        ("transfer-encoding", [(":status", "200"), ("transfer-encoding", "chunked")]),
        ("upgrade", [(":status", "200"), ("upgrade", "h2c")]),
        ("te other than trailers", [(":status", "200"), ("te", "gzip")]),
        ("missing :status", [("x", "1")]),
        ("repeated :status", [(":status", "200"), (":status", "204")]),
        ("pseudo-header after a regular field", [("x", "1"), (":status", "200")]),
        ("request pseudo-header", [(":status", "200"), (":path", "/")]),
        ("undefined pseudo-header", [(":status", "200"), (":protocol", "websocket")]),
        ("empty pseudo-header name", [(":", "x"), (":status", "200")]),
        ("non-numeric :status", [(":status", "abc")]),
        ("two-digit :status", [(":status", "20")]),
        ("four-digit :status", [(":status", "2000")]),
        (":status below 100", [(":status", "099")]),
        ("§8.6 101 Switching Protocols", [(":status", "101"), ("upgrade", "websocket")]),
    ]

    @Test(arguments: malformedResponses.map(\.0))
    func section8_2_and_8_3_malformedResponsesAreStreamErrors(_ name: String) {
        let fields = Self.malformedResponses.first { $0.0 == name }!.1
        var peer = Peer.client()
        peer.open()
        let events = peer.feed(H2.headers(1, fields, endStream: true))
        #expect(events.described == ["streamError 1 PROTOCOL_ERROR"], "\(name)")
        #expect(events.streamErrors.first?.1.code == .malformedMessage)
        #expect(!peer.connection.isClosed)
    }

    @Test func section8_2_2_teTrailersAndOrdinaryFieldsAreAccepted() {
        var peer = Peer.client()
        peer.open()
        let events = peer.feed(H2.headers(1, [(":status", "200"), ("te", "Trailers"), ("x-a", "b c"), ("cookie", "a=b"),
                                              ("empty", "")], endStream: true))
        guard case .response(1, let head, true) = events.first else { Issue.record("\(events.described)"); return }
        #expect(head.fields.pairs.map(\.name) == ["te", "x-a", "cookie", "empty"])
        #expect(head.fields.firstValue(for: "x-a") == "b c")
    }

    @Test func section8_3_1_outboundRequestsAreCheckedToo() {
        var peer = Peer.client()
        let invalid: [[(String, String)]] = [
            [(":scheme", "http"), (":path", "/")],
            [(":method", "GET"), (":path", "/")],
            [(":method", "GET"), (":scheme", "http")],
            [(":method", "GET"), (":scheme", "http"), (":path", "")],
            [(":method", "GET"), (":scheme", "https"), (":path", "index.html")],
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), ("Host", "a")],
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), ("connection", "close")],
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":status", "200")],
            [(":method", "GET"), ("x", "y"), (":scheme", "http"), (":path", "/")],
            [(":method", "CONNECT"), (":authority", "a:443"), (":path", "/")],
            [(":method", "G T"), (":scheme", "http"), (":path", "/")],
            [(":method", "GET"), (":scheme", "http"), (":authority", "a.example"), (":path", "/"), ("host", "b.example")],
            [(":method", "GET"), (":scheme", "https"), (":authority", "user@a.example"), (":path", "/")],
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), ("te", "gzip")],
        ]
        for fields in invalid {
            do {
                _ = try peer.connection.openStream(H2.list(fields), endStream: true)
                Issue.record("accepted \(fields)")
            } catch {
                #expect(error.code == .invalidOutboundHeaders && error.isLocalMisuse)
            }
        }
        #expect(peer.sent().isEmpty)
        for fields: [(String, String)] in [[(":method", "OPTIONS"), (":scheme", "https"), (":path", "*")],
                                           [(":method", "CONNECT"), (":authority", "proxy:443")],
                                           [(":method", "GET"), (":scheme", "urn"), (":path", "isbn:0")]] {
            #expect(throws: Never.self) { _ = try peer.connection.openStream(H2.list(fields), endStream: true) }
        }
    }

    // MARK: §8.7 Request reliability

    @Test func section8_7_refusedStreamsAreReportedAsSafeToRetry() {
        var peer = Peer.client()
        peer.open()
        let events = peer.feed(H2.rst(1, .refusedStream))
        guard case .streamReset(1, let code) = events.first else { Issue.record("\(events.described)"); return }
        #expect(code == .refusedStream)
    }
}
