import CourierCore
import CourierHPACK
import CourierTestSupport
import Foundation
@testable import CourierHTTP2

/// Hex, fixtures, frame building and event summaries shared by the HTTP/2 tests.
enum H2 {
    /// Parses a JSON fixture under `Tests/Fixtures/`.
    static func json(_ relative: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try Fixtures.bytes(relative))) as! [String: Any]
    }

    /// Bytes from hex (either case).
    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            let nibble: UInt8 = switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
            default: preconditionFailure("not hex: \(hex)")
            }
            if let pending = high {
                result.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    // MARK: Frame builder (raw bytes, so tests can build invalid frames too)

    static func frame(_ type: HTTP2FrameType, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type.rawValue, flags,
                UInt8(stream >> 24 & 0xff), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
            + payload
    }

    static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }

    static func settings(_ settings: [(UInt16, UInt32)] = [], ack: Bool = false) -> [UInt8] {
        frame(.settings, flags: ack ? 1 : 0, settings.flatMap { u16($0.0) + u32($0.1) })
    }

    static func data(_ stream: UInt32, _ content: [UInt8], endStream: Bool = false, padding: Int? = nil) -> [UInt8] {
        var flags: UInt8 = endStream ? 0x1 : 0
        var payload = content
        if let padding {
            flags |= 0x8
            payload = [UInt8(padding)] + content + [UInt8](repeating: 0, count: padding)
        }
        return frame(.data, flags: flags, stream: stream, payload)
    }

    static func data(_ stream: UInt32, _ text: String, endStream: Bool = false) -> [UInt8] {
        data(stream, Array(text.utf8), endStream: endStream)
    }

    static func ping(_ payload: UInt64, ack: Bool = false, stream: UInt32 = 0) -> [UInt8] {
        frame(.ping, flags: ack ? 1 : 0, stream: stream, u32(UInt32(payload >> 32)) + u32(UInt32(payload & 0xffff_ffff)))
    }

    static func windowUpdate(_ stream: UInt32, _ increment: UInt32) -> [UInt8] {
        frame(.windowUpdate, stream: stream, u32(increment))
    }

    static func rst(_ stream: UInt32, _ code: HTTP2ErrorCode) -> [UInt8] {
        frame(.rstStream, stream: stream, u32(code.rawValue))
    }

    static func goAway(last: UInt32, _ code: HTTP2ErrorCode, debug: String = "") -> [UInt8] {
        frame(.goAway, u32(last) + u32(code.rawValue) + Array(debug.utf8))
    }

    /// A field block of literal fields without indexing (no dynamic table), whatever the names.
    static func literalBlock(_ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            precondition(name.utf8.count < 127 && value.utf8.count < 127, "short literals only")
            block += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return block
    }

    static func headers(_ stream: UInt32, _ fields: [(String, String)], endStream: Bool = false,
                        endHeaders: Bool = true) -> [UInt8] {
        frame(.headers, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), stream: stream, literalBlock(fields))
    }

    static func headers(_ stream: UInt32, block: [UInt8], endStream: Bool = false, endHeaders: Bool = true) -> [UInt8] {
        frame(.headers, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), stream: stream, block)
    }

    static func continuation(_ stream: UInt32, _ block: [UInt8], endHeaders: Bool = true) -> [UInt8] {
        frame(.continuation, flags: endHeaders ? 0x4 : 0, stream: stream, block)
    }

    static let get: [(String, String)] = [(":method", "GET"), (":scheme", "http"), (":authority", "example.com"),
                                          (":path", "/")]

    static func list(_ fields: [(String, String)]) -> HPACKHeaderList {
        var list = HPACKHeaderList()
        for (name, value) in fields { list.append(name: name, value: value) }
        return list
    }

    // MARK: Reading what a connection sent

    /// Decodes `bytes` into frames (any size accepted), skipping a client preface at the start.
    static func frames(in bytes: ByteBuffer) -> [HTTP2Frame] {
        var buffer = bytes
        if buffer.readableBytes >= 24, buffer.getBytes(at: buffer.readerIndex, length: 24) == HTTP2ConnectionPreface.bytes {
            buffer.moveReaderIndex(forwardBy: 24)
        }
        var decoder = HTTP2FrameDecoder(maxFrameSize: HTTP2Settings.maxMaxFrameSize)
        decoder.append(buffer)
        var frames: [HTTP2Frame] = []
        while let frame = try! decoder.nextFrame() { frames.append(frame) }
        precondition(decoder.bufferedBytes == 0, "partial frame in output")
        return frames
    }

    /// A short, comparable description of an event.
    static func describe(_ event: HTTP2Event) -> String {
        switch event {
        case .remoteSettings: "remoteSettings"
        case .settingsAcknowledged: "settingsAcknowledged"
        case .informationalResponse(let id, let head): "informational \(id) \(head.status)"
        case .response(let id, let head, let end): "response \(id) \(head.status)\(end ? " end" : "")"
        case .request(let id, let head, let end): "request \(id) \(head.method) \(head.path ?? "-")\(end ? " end" : "")"
        case .data(let id, let data, let end): "data \(id) \(data.readableBytes)\(end ? " end" : "")"
        case .trailers(let id, _): "trailers \(id)"
        case .streamStarted(let id): "started \(id)"
        case .windowOpened(let id): "windowOpened \(id)"
        case .streamClosed(let id): "closed \(id)"
        case .streamReset(let id, let code): "reset \(id) \(code)"
        case .streamError(let id, let error): "streamError \(id) \(error.wireCode)"
        case .goAway(let goAway): "goAway \(goAway.lastStreamID) \(goAway.errorCode) \(goAway.unprocessedStreams)"
        case .pingAcknowledged(let data): "pingAck \(data)"
        case .connectionError(let error): "connectionError \(error.wireCode)"
        case .readyToClose: "readyToClose"
        }
    }
}

/// One end of a connection under test, played frame by frame: the connection is ours, the peer
/// is the test (it builds raw frames with `H2` and reads what the connection sent).
struct Peer {
    var connection: HTTP2Connection
    var now = Timestamp(nanoseconds: 1_000_000_000)
    /// The peer's HPACK encoder, for blocks that use the dynamic table.
    var encoder = HPACKEncoder(maxTableSize: 4096, useHuffman: true)
    /// Every event so far (the connection's own record for assertions).
    var allEvents: [HTTP2Event] = []

    /// A client connection; `handshake` exchanges SETTINGS (server SETTINGS + ACK of ours).
    static func client(_ configuration: HTTP2Configuration = HTTP2Configuration(), handshake: Bool = true,
                       serverSettings: [(UInt16, UInt32)] = []) -> Peer {
        var peer = Peer(connection: HTTP2Connection(role: .client, configuration: configuration,
                                                    now: Timestamp(nanoseconds: 1_000_000_000)))
        _ = peer.sent()
        if handshake {
            _ = peer.feed(H2.settings(serverSettings) + H2.settings(ack: true))
            _ = peer.sent()
        }
        return peer
    }

    /// A server connection; `handshake` sends the client preface, SETTINGS and the ACK of ours.
    static func server(_ configuration: HTTP2Configuration = HTTP2Configuration(), handshake: Bool = true,
                       clientSettings: [(UInt16, UInt32)] = [(0x2, 0)]) -> Peer {
        var peer = Peer(connection: HTTP2Connection(role: .server, configuration: configuration,
                                                    now: Timestamp(nanoseconds: 1_000_000_000)))
        _ = peer.sent()
        if handshake {
            _ = peer.feed(HTTP2ConnectionPreface.bytes + H2.settings(clientSettings) + H2.settings(ack: true))
            _ = peer.sent()
        }
        return peer
    }

    /// Gives `bytes` to the connection and returns the events they produced.
    @discardableResult
    mutating func feed(_ bytes: [UInt8]) -> [HTTP2Event] {
        connection.receive(ByteBuffer(bytes: bytes))
        return drain()
    }

    /// Events pending (from commands, or input already given).
    mutating func drain() -> [HTTP2Event] {
        var events: [HTTP2Event] = []
        while let event = connection.nextEvent() { events.append(event) }
        allEvents += events
        return events
    }

    /// Event summaries produced by `bytes`.
    mutating func feedDescribed(_ bytes: [UInt8]) -> [String] { feed(bytes).map(H2.describe) }

    /// The frames the connection sent since the last call.
    mutating func sent() -> [HTTP2Frame] {
        var buffer = ByteBuffer(capacity: 0)
        connection.flushOutput(into: &buffer)
        return H2.frames(in: buffer)
    }

    /// The raw bytes the connection sent since the last call.
    mutating func sentBytes() -> ByteBuffer {
        var buffer = ByteBuffer(capacity: 0)
        connection.flushOutput(into: &buffer)
        return buffer
    }

    /// Client: opens a stream with a GET (or the given fields). Its HEADERS stay in the output
    /// unless `flush` drops them.
    @discardableResult
    mutating func open(_ fields: [(String, String)] = H2.get, endStream: Bool = true, flush: Bool = false) -> HTTP2StreamID {
        let id = try! connection.openStream(H2.list(fields), endStream: endStream).id
        if flush { _ = sent() }
        return id
    }

    /// A HEADERS frame whose block comes from the peer's HPACK encoder.
    mutating func encodedHeaders(_ stream: UInt32, _ fields: [(String, String)], endStream: Bool = false) -> [UInt8] {
        var block = ByteBuffer(capacity: 256)
        encoder.encode(H2.list(fields), into: &block)
        return H2.headers(stream, block: Array(block.readableBytesView), endStream: endStream)
    }

    mutating func advance(by duration: Duration) -> [HTTP2Event] {
        now = now + duration
        connection.timeTick(now: now)
        return drain()
    }
}

extension [HTTP2Frame] {
    /// The GOAWAY among the frames, if any.
    var goAway: HTTP2Frame.GoAway? {
        for frame in self { if case .goAway(let goAway) = frame.payload { return goAway } }
        return nil
    }

    /// RST_STREAM frames as (stream, code).
    var resets: [(HTTP2StreamID, HTTP2ErrorCode)] {
        compactMap { frame in
            if case .rstStream(let code) = frame.payload { return (frame.streamID, code) }
            return nil
        }
    }

    var settingsAcks: Int {
        filter { if case .settings(let settings) = $0.payload { return settings.ack } else { return false } }.count
    }

    var pingAcks: [HTTP2PingData] {
        compactMap { frame in
            if case .ping(let ping) = frame.payload, ping.ack { return ping.data }
            return nil
        }
    }

    var windowUpdates: [(HTTP2StreamID, UInt32)] {
        compactMap { frame in
            if case .windowUpdate(let increment) = frame.payload { return (frame.streamID, increment) }
            return nil
        }
    }

    var dataFrames: [(HTTP2StreamID, HTTP2Frame.Data)] {
        compactMap { frame in
            if case .data(let data) = frame.payload { return (frame.streamID, data) }
            return nil
        }
    }

    var headerFrames: [(HTTP2StreamID, HTTP2Frame.Headers)] {
        compactMap { frame in
            if case .headers(let headers) = frame.payload { return (frame.streamID, headers) }
            return nil
        }
    }
}

extension [HTTP2Event] {
    var connectionError: HTTP2Error? {
        for event in self { if case .connectionError(let error) = event { return error } }
        return nil
    }

    var streamErrors: [(HTTP2StreamID, HTTP2Error)] {
        compactMap { if case .streamError(let id, let error) = $0 { return (id, error) } else { return nil } }
    }

    var described: [String] { map(H2.describe) }
}
