/// A frame as the hostile peer reads it (no validation: the peer is the one breaking rules).
struct RawFrame {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    var endStream: Bool { flags & 0x1 != 0 }
}

/// HTTP/2 frames and HPACK fragments written by hand, so that a script can send what our own encoder would
/// refuse to produce.
enum RawHTTP2 {
    static let data: UInt8 = 0x0, headers: UInt8 = 0x1, rstStream: UInt8 = 0x3, settings: UInt8 = 0x4
    static let pushPromise: UInt8 = 0x5, ping: UInt8 = 0x6, goAway: UInt8 = 0x7, windowUpdate: UInt8 = 0x8
    static let continuation: UInt8 = 0x9
    static let endStream: UInt8 = 0x1, ack: UInt8 = 0x1, endHeaders: UInt8 = 0x4
    static let initialWindowSize: UInt16 = 0x4

    static let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + be32(stream & 0x7fff_ffff) + payload
    }

    static func settingsFrame(_ values: [(UInt16, UInt32)] = []) -> [UInt8] {
        frame(settings, payload: values.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + be32($0.1) })
    }

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        frame(type, flags: flags, stream: stream, payload)
    }

    static func goAwayFrame(lastStreamID: UInt32, errorCode: UInt32 = 0) -> [UInt8] {
        frame(goAway, payload: be32(lastStreamID) + be32(errorCode))
    }

    static func windowUpdateFrame(stream: UInt32, increment: UInt32) -> [UInt8] {
        frame(windowUpdate, stream: stream, payload: be32(increment))
    }

    static func pingFrame(_ value: UInt64) -> [UInt8] {
        frame(ping, payload: (0..<8).map { UInt8(value >> (56 - 8 * $0) & 0xff) })
    }

    /// A response head: `:status 200` (static index 8) and the given fields as literals without indexing.
    static func responseBlock(status200 extra: [(String, String)] = []) -> [UInt8] {
        [0x88] + extra.flatMap { literal($0.0, $0.1) }
    }

    /// A literal field with a new name; `indexed` adds it to the dynamic table (incremental indexing).
    static func literal(_ name: String, _ value: String, indexed: Bool = false) -> [UInt8] {
        [indexed ? 0x40 : 0x00] + string(Array(name.utf8)) + string(Array(value.utf8))
    }

    /// An HPACK string literal without Huffman coding.
    static func string(_ bytes: [UInt8]) -> [UInt8] { integer(bytes.count, prefixBits: 7, high: 0) + bytes }

    /// An HPACK integer (RFC 7541 §5.1).
    static func integer(_ value: Int, prefixBits: Int, high: UInt8) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [high | UInt8(value)] }
        var bytes = [high | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}

extension HostileConnection {
    /// Reads one frame; nil when the client closed or the wait timed out.
    func readFrame() -> RawFrame? {
        guard let header = read(exactly: 9) else { return nil }
        let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
        let stream = (UInt32(header[5]) << 24 | UInt32(header[6]) << 16 | UInt32(header[7]) << 8 | UInt32(header[8])) & 0x7fff_ffff
        guard let payload = read(exactly: length) else { return nil }
        return RawFrame(type: header[3], flags: header[4], stream: stream, payload: payload)
    }

    /// Reads the client's preface and SETTINGS, then sends our SETTINGS (`settings`) and the ACK of theirs.
    func acceptHTTP2(settings: [(UInt16, UInt32)] = []) -> Bool {
        guard read(exactly: RawHTTP2.clientPreface.count) == RawHTTP2.clientPreface else { return false }
        guard let first = readFrame(), first.type == RawHTTP2.settings else { return false }
        return send(RawHTTP2.settingsFrame(settings) + RawHTTP2.frame(RawHTTP2.settings, flags: RawHTTP2.ack))
    }

    /// Reads frames until a request's HEADERS; returns its stream, or nil when the client closed or went quiet.
    /// Frames of other kinds are ignored (the client's ACKs and window updates).
    func readRequestStream() -> UInt32? {
        while let frame = readFrame() {
            if frame.type == RawHTTP2.headers { return frame.stream }
        }
        return nil
    }

    /// Reads frames until one of `type` arrives; nil when the client closed first.
    func readFrame(ofType type: UInt8) -> RawFrame? {
        while let frame = readFrame() {
            if frame.type == type { return frame }
        }
        return nil
    }

    /// Answers `stream` with 200 and `body` in one DATA frame (at most 16 KiB) that ends the stream.
    @discardableResult
    func respond(stream: UInt32, body: [UInt8] = Array("ok".utf8)) -> Bool {
        send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream,
                            RawHTTP2.responseBlock(status200: [("content-length", String(body.count))]))
             + RawHTTP2.frame(RawHTTP2.data, flags: RawHTTP2.endStream, stream: stream, body))
    }

    /// Serves every request on the connection with `respond` until the client closes.
    func serveHTTP2Normally() {
        guard acceptHTTP2() else { return }
        while let frame = readFrame() {
            if frame.type == RawHTTP2.headers {
                guard respond(stream: frame.stream) else { return }
            } else if frame.type == RawHTTP2.ping && frame.flags & RawHTTP2.ack == 0 {
                send(RawHTTP2.frame(RawHTTP2.ping, flags: RawHTTP2.ack, frame.payload))
            }
        }
    }

    /// Serves HTTP/1.1 requests with a small keep-alive response until the client closes.
    func serveHTTP1Normally() {
        while readRequest() != nil {
            guard send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") else { return }
        }
    }
}
