// Feeds arbitrary server bytes to a client HTTP2Connection after a valid server preface (an empty
// SETTINGS frame), with two requests open. The bytes arrive in chunks whose sizes, and the
// application's actions between chunks (open and reset streams, send DATA, consume or hold DATA,
// PING, GOAWAY, time passing), come from a generator seeded with the input. Checks: no crash or
// trap, bounded work per chunk (no hang), bounded output per step, bounded buffering inside the
// connection (one partial frame, one field block), DATA held unconsumed never above the windows
// we granted, and nothing but `nil` from a closed connection after its last event.
import CourierCore
import CourierHPACK
import CourierHTTP2

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHTTP2ClientConnection_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

func request(_ method: String, _ path: String) -> HPACKHeaderList {
    var list = HPACKHeaderList()
    list.append(name: ":method", value: method)
    list.append(name: ":scheme", value: "https")
    list.append(name: ":authority", value: "fuzz.example")
    list.append(name: ":path", value: path)
    return list
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var seed: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in input { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }
    var random = SplitMix(state: seed)
    var configuration = HTTP2Configuration()
    if random.below(2) == 0 {
        configuration.initialWindowSize = 65535
        configuration.connectionWindowSize = 65535
        configuration.maxHeaderListSize = 4096
        configuration.maxContinuationFrames = 4
    }
    var now = Timestamp(nanoseconds: 1_000_000_000)
    var connection = HTTP2Connection(role: .client, configuration: configuration, now: now)
    var output = ByteBuffer()
    connection.flushOutput(into: &output)
    connection.receive(ByteBuffer(bytes: [0, 0, 0, 4, 0, 0, 0, 0, 0]))
    var streams: [HTTP2StreamID] = []
    var held: [(HTTP2StreamID, Int)] = []
    var heldBytes = 0
    var pending: [HTTP2StreamID: ByteBuffer] = [:]
    if let get = try? connection.openStream(request("GET", "/"), endStream: true) { streams.append(get.id) }
    if let post = try? connection.openStream(request("POST", "/upload"), endStream: false) {
        streams.append(post.id)
        pending[post.id] = ByteBuffer(bytes: [UInt8](repeating: 0x70, count: 100_000))
    }
    var position = 0
    var closedAndDrained = false
    while true {
        var produced = 0
        while let event = connection.nextEvent() {
            produced += 1
            precondition(produced < 200_000, "an input chunk produced unbounded events")
            precondition(!closedAndDrained, "event after the closed connection was drained")
            switch event {
            case .data(let id, let bytes, _):
                if random.below(3) == 0 {
                    held.append((id, bytes.readableBytes))
                    heldBytes += bytes.readableBytes
                } else {
                    connection.consumed(id, bytes: bytes.readableBytes)
                }
            case .windowOpened(let id), .streamStarted(let id):
                if var body = pending[id] {
                    _ = try? connection.sendData(id, &body, endStream: true)
                    pending[id] = body.readableBytes > 0 ? body : nil
                }
            case .response(let id, let head, _):
                precondition(head.status >= 200 && head.status <= 999)
                if random.below(8) == 0 { connection.resetStream(id) }
            case .connectionError(let error):
                precondition(error.isConnectionError)
            case .streamError(_, let error):
                precondition(error.isStreamError)
            default:
                break
            }
        }
        // What the peer got to send us without our credit is bounded by the windows we granted.
        precondition(heldBytes <= configuration.connectionWindowSize, "held DATA beyond the connection window")
        if connection.isClosed { closedAndDrained = true }
        output.clear()
        connection.flushOutput(into: &output)
        precondition(output.readableBytes < 1 << 20, "unbounded output in one step")
        guard position < input.count, !connection.isClosed else { break }
        // The application acts.
        switch random.below(12) {
        case 0:
            if let opened = try? connection.openStream(request("GET", "/\(position)"), endStream: true) {
                streams.append(opened.id)
            }
        case 1:
            if let id = streams.randomElement(using: &random) { connection.resetStream(id, code: .cancel) }
        case 2:
            for (id, count) in held { connection.consumed(id, bytes: count) }
            held.removeAll()
            heldBytes = 0
        case 3:
            now = now + .milliseconds(random.below(20_000))
            connection.timeTick(now: now)
        case 4:
            try? connection.sendPing(HTTP2PingData(random.next()))
        case 5 where random.below(16) == 0:
            connection.goAway()
        case 6:
            for (id, var body) in pending {
                _ = try? connection.sendData(id, &body, endStream: true)
                pending[id] = body.readableBytes > 0 ? body : nil
            }
        default:
            break
        }
        // The next chunk of server bytes.
        let length = min(input.count - position, random.below(4) == 0 ? 1 : 1 + random.below(600))
        connection.receive(ByteBuffer(bytes: input[position..<(position + length)]))
        position += length
    }
    if connection.isClosed {
        precondition(connection.nextEvent() == nil, "events after close")
    }
    return 0
}

extension Array {
    func randomElement(using random: inout SplitMix) -> Element? {
        isEmpty ? nil : self[random.below(count)]
    }
}
