import CourierCore
import CourierHPACK
import Testing
@testable import CourierHTTP2

/// The attack classes of `Tests/Fixtures/ATTACKS.md`, each against its limit: below the limit the
/// connection carries on, past it the connection (or stream) fails with the documented code.
@Suite struct HTTP2DefenceTests {
    // MARK: CONTINUATION flood (VU#421644)

    @Test func continuationFloodIsCappedByFrameCount() {
        var peer = Peer.client()
        peer.open(flush: true)
        var bytes = H2.headers(1, [(":status", "200")], endHeaders: false)
        for _ in 0..<16 { bytes += H2.continuation(1, [], endHeaders: false) }
        // 16 empty CONTINUATION frames are within the defaults.
        #expect(peer.feed(bytes).isEmpty)
        let events = peer.feed(H2.continuation(1, [], endHeaders: false))
        #expect(events.connectionError?.code == .tooManyContinuations)
        #expect(peer.sent().goAway?.errorCode == .enhanceYourCalm)
    }

    @Test func continuationFloodIsCappedByBlockSize() {
        var configuration = HTTP2Configuration()
        configuration.maxContinuationFrames = 1000
        var peer = Peer.client(configuration)
        peer.open(flush: true)
        let chunk = [UInt8](repeating: 0x40, count: 16000)
        var events = peer.feed(H2.headers(1, block: chunk, endHeaders: false))
        for _ in 0..<3 { events += peer.feed(H2.continuation(1, chunk, endHeaders: false)) }
        #expect(events.isEmpty)
        events = peer.feed(H2.continuation(1, chunk, endHeaders: false))
        #expect(events.connectionError?.code == .headerBlockTooLarge)
        #expect(peer.connection.blockBuffer.readableBytes <= 65536)
    }

    // MARK: HPACK bombs

    @Test func hpackBombsFailOnlyTheirStreamAndKeepTheDecoderInStep() throws {
        let fixture = try H2.json("hpack/decoder-edge-cases.json")
        let bombs = fixture["bomb"] as! [[String: Any]]
        #expect(bombs.count == 3)
        for bomb in bombs {
            let block = H2.bytes(hex: bomb["wire"] as! String)
            var configuration = HTTP2Configuration()
            configuration.maxHeaderBlockSize = 1 << 20
            configuration.maxContinuationFrames = 1000
            var peer = Peer.client(configuration)
            peer.open(flush: true)
            peer.open(flush: true)
            // The status first, then the bomb, split into frames of at most 16 KiB.
            let whole = [0x88] + block
            var frames = H2.headers(1, block: Array(whole.prefix(16384)), endHeaders: whole.count <= 16384)
            var offset = 16384
            while offset < whole.count {
                let end = min(offset + 16384, whole.count)
                frames += H2.continuation(1, Array(whole[offset..<end]), endHeaders: end == whole.count)
                offset = end
            }
            let events = peer.feed(frames)
            #expect(events.streamErrors.first?.1.code == .headerListTooLarge, "\(bomb["name"] ?? "")")
            #expect(events.connectionError == nil)
            // The dynamic table is still in step: a block that indexes into it decodes.
            #expect(peer.feedDescribed(H2.headers(3, [(":status", "204")], endStream: true)) == ["response 3 204 end", "closed 3"])
        }
    }

    // MARK: Control-frame floods (CVE-2019-9512, 9515, 9518, 9511, 9513)

    struct Flood: CustomStringConvertible, Sendable {
        var name: String
        var limit: Int
        var frame: [UInt8]
        var code: HTTP2Error.Code
        var description: String { name }
    }

    static let floods: [Flood] = [
        .init(name: "PING", limit: 100, frame: H2.ping(1), code: .pingFlood),
        .init(name: "SETTINGS", limit: 99, frame: H2.settings([(0x3, 100)]), code: .settingsFlood),
        .init(name: "empty DATA", limit: 100, frame: H2.data(1, []), code: .emptyFrameFlood),
        .init(name: "tiny WINDOW_UPDATE", limit: 1000, frame: H2.windowUpdate(0, 1), code: .windowUpdateFlood),
        .init(name: "PRIORITY", limit: 1000, frame: H2.frame(.priority, stream: 1, [0, 0, 0, 0, 16]), code: .priorityFlood),
    ]

    @Test(arguments: floods)
    func floodsEndWithEnhanceYourCalm(_ flood: Flood) {
        var peer = Peer.client()
        peer.open(flush: true)
        _ = peer.feed(H2.headers(1, [(":status", "200")]))
        var all: [UInt8] = []
        for _ in 0..<flood.limit { all += flood.frame }
        let below = peer.feed(all)
        #expect(below.connectionError == nil, "\(flood.name) at its limit")
        _ = peer.sent()
        let past = peer.feed(flood.frame)
        #expect(past.connectionError?.code == flood.code, "\(flood.name): \(past.described)")
        #expect(past.connectionError?.isFlood == true)
        #expect(peer.sent().goAway?.errorCode == .enhanceYourCalm)
    }

    @Test(arguments: floods)
    func floodCountersStartOverInTheNextWindow(_ flood: Flood) {
        var peer = Peer.client()
        peer.open(flush: true)
        _ = peer.feed(H2.headers(1, [(":status", "200")]))
        var all: [UInt8] = []
        for _ in 0..<flood.limit { all += flood.frame }
        for _ in 0..<3 {
            #expect(peer.feed(all).connectionError == nil)
            #expect(peer.connection.nextDeadline != nil, "the driver is asked to tick when the window ends")
            _ = peer.advance(by: .seconds(10))
            _ = peer.sent()
        }
    }

    @Test func repliesQueuedWithoutAFlushAreCapped() {
        var configuration = HTTP2Configuration()
        configuration.floodLimits.maxQueuedControlFrames = 50
        configuration.floodLimits.pings = HTTP2RateLimit(1000, per: .seconds(1))
        var peer = Peer.client(configuration)
        var pings: [UInt8] = []
        for _ in 0..<50 { pings += H2.ping(3) }
        #expect(peer.feed(pings).connectionError == nil)
        _ = peer.sent()  // the driver drains the output: the count starts over
        #expect(peer.feed(pings).connectionError == nil)
        #expect(peer.feed(H2.ping(3)).connectionError?.code == .controlFrameBacklog)
    }

    // MARK: Rapid reset (CVE-2023-44487) and provoked resets (CVE-2019-9514, CVE-2025-8671)

    @Test func rapidResetOnTheServerRoleIsCapped() {
        var peer = Peer.server()
        let request: [(String, String)] = [(":method", "GET"), (":scheme", "https"), (":path", "/")]
        var bytes: [UInt8] = []
        for index in 0..<200 {
            let stream = UInt32(2 * index + 1)
            bytes += H2.headers(stream, request) + H2.rst(stream, .cancel)
        }
        let events = peer.feed(bytes)
        #expect(events.connectionError == nil && events.filter { if case .request = $0 { true } else { false } }.count == 200)
        let past = peer.feed(H2.headers(401, request) + H2.rst(401, .cancel))
        #expect(past.connectionError?.code == .resetFlood)
        #expect(peer.sent().goAway?.errorCode == .enhanceYourCalm)
    }

    @Test func streamErrorsThePeerProvokesAreCapped() {
        var peer = Peer.client()
        var events: [HTTP2Event] = []
        for _ in 0..<200 {
            let stream = peer.open(flush: true)
            events += peer.feed(H2.windowUpdate(stream.rawValue, 0))
        }
        #expect(events.streamErrors.count == 200 && events.connectionError == nil)
        let stream = peer.open(flush: true)
        let past = peer.feed(H2.windowUpdate(stream.rawValue, 0))
        #expect(past.connectionError?.code == .streamErrorFlood)
    }

    // MARK: Flow control abuse

    @Test func windowOverflowIsAFlowControlError() {
        var peer = Peer.client()
        peer.open(flush: true)
        #expect(peer.feed(H2.windowUpdate(0, 0x7fff_ffff - 65535)).isEmpty)
        #expect(peer.feed(H2.windowUpdate(0, 1)).connectionError?.code == .windowOverflow)
    }

    @Test func dataBeyondTheStreamWindowIsAStreamErrorAndBeyondTheConnectionWindowAConnectionError() {
        var configuration = HTTP2Configuration()
        configuration.initialWindowSize = 20000
        var peer = Peer.client(configuration)
        peer.open(flush: true)
        peer.open(flush: true)
        _ = peer.feed(H2.headers(1, [(":status", "200")]) + H2.headers(3, [(":status", "200")]))
        _ = peer.feed(H2.data(1, [UInt8](repeating: 0, count: 16000)))
        let overStream = peer.feed(H2.data(1, [UInt8](repeating: 0, count: 5000)))
        #expect(overStream.streamErrors.first?.1.code == .flowControlViolation)
        #expect(peer.sent().resets.first?.1 == .flowControlError)
        // The connection window (4 MiB) is shared: exhaust it on stream 3 with the peer ignoring our limits.
        configuration.initialWindowSize = 1 << 30
        configuration.connectionWindowSize = 65535
        var second = Peer.client(configuration)
        second.open(flush: true)
        _ = second.feed(H2.headers(1, [(":status", "200")]))
        for _ in 0..<4 { _ = second.feed(H2.data(1, [UInt8](repeating: 0, count: 16000))) }
        let overConnection = second.feed(H2.data(1, [UInt8](repeating: 0, count: 2000)))
        #expect(overConnection.connectionError?.code == .flowControlViolation)
        #expect(second.sent().goAway?.errorCode == .flowControlError)
    }

    @Test func aServerCannotPushOrOpenStreams() {
        var peer = Peer.client()
        peer.open(flush: true)
        #expect(peer.feed(H2.frame(.pushPromise, flags: 4, stream: 1, H2.u32(2) + [0x82, 0x86, 0x84]))
            .connectionError?.code == .pushNotAccepted)
        var other = Peer.client()
        other.open(flush: true)
        #expect(other.feed(H2.headers(2, [(":status", "200")])).connectionError?.code == .unexpectedServerStream)
    }

    // MARK: Slow reader: memory stays bounded by the windows

    @Test func aSlowReaderStopsThePeerAtTheWindow() {
        var configuration = HTTP2Configuration()
        configuration.initialWindowSize = 100_000
        configuration.connectionWindowSize = 150_000
        // The server side of an in-memory pair pushes 10 MB as fast as flow control allows.
        var pair = Pair(client: configuration)
        let stream = pair.request(H2.get, endStream: true)
        pair.run()
        try! pair.server.sendHeaders(stream, H2.list([(":status", "200")]), endStream: false)
        var body = ByteBuffer(repeating: 7, count: 10_000_000)
        var held = 0
        for _ in 0..<50 {
            _ = try! pair.server.sendData(stream, &body, endStream: true)
            pair.run()
            held += pair.clientEvents.reduce(0) { total, event in
                if case .data(_, let data, _) = event { return total + data.readableBytes }
                return total
            }
            pair.clientEvents.removeAll()
            #expect(held <= 100_000, "the client holds no more than the stream window")
        }
        #expect(held == 100_000 && body.readableBytes == 10_000_000 - 100_000)
        // Consuming lets it go on.
        pair.client.consumed(stream, bytes: held)
        pair.run()
        _ = try! pair.server.sendData(stream, &body, endStream: true)
        pair.run()
        #expect(pair.clientEvents.contains { if case .data = $0 { true } else { false } })
    }
}
