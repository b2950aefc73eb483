import CourierCore
import CourierHPACK
import Foundation
import Testing
@testable import CourierHTTP2

/// The committed fuzz corpora (Fuzz/Corpus/FuzzHTTP2*) replayed through the harnesses' checks in a
/// debug build, so that every input the fuzzers kept stays harmless. The drivers mirror
/// Fuzz/Sources/FuzzHTTP2FrameDecoder and FuzzHTTP2ClientConnection, recording issues instead of
/// trapping.
@Suite struct HTTP2FuzzRegressionTests {
    static let corpusRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fuzz/Corpus"
    }()

    static func inputs(_ harness: String) -> [[UInt8]] {
        let directory = corpusRoot + "/" + harness
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { FileManager.default.contents(atPath: directory + "/" + $0).map { Array($0) } }
    }

    enum Outcome: Equatable {
        case frame(HTTP2Frame)
        case failure(HTTP2Error.Code, HTTP2Error.Scope)
    }

    static func decodeAll(_ chunks: [[UInt8]], maxFrameSize: Int) -> [Outcome] {
        var decoder = HTTP2FrameDecoder(maxFrameSize: maxFrameSize)
        var outcomes: [Outcome] = []
        for chunk in chunks {
            decoder.append(ByteBuffer(bytes: chunk))
            while true {
                do throws(HTTP2Error) {
                    guard let frame = try decoder.nextFrame() else { break }
                    outcomes.append(.frame(frame))
                } catch {
                    outcomes.append(.failure(error.code, error.scope))
                    if error.isConnectionError { return outcomes }
                }
            }
            #expect(decoder.bufferedBytes < HTTP2Frame.headerSize + maxFrameSize)
        }
        return outcomes
    }

    @Test func frameDecoderCorpus() {
        let inputs = Self.inputs("FuzzHTTP2FrameDecoder")
        #expect(inputs.count >= 100)
        for input in inputs where input.count > 2 {
            let maxFrameSize = [16384, 16385, 65536, 16_777_215][Int(input[0] & 3)]
            let wire = Array(input[2...])
            let split = Int(input[1]) * wire.count / 256
            let whole = Self.decodeAll([wire], maxFrameSize: maxFrameSize)
            #expect(whole == Self.decodeAll([Array(wire[..<split]), Array(wire[split...])], maxFrameSize: maxFrameSize))
            for case .frame(let frame) in whole {
                var encoded = ByteBuffer()
                HTTP2FrameEncoder.encode(frame, into: &encoded)
                #expect(Self.decodeAll([Array(encoded.readableBytesView)], maxFrameSize: maxFrameSize) == [.frame(frame)])
            }
        }
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

    static func request(_ method: String, _ path: String) -> HPACKHeaderList {
        H2.list([(":method", method), (":scheme", "https"), (":authority", "fuzz.example"), (":path", path)])
    }

    /// Mirrors FuzzHTTP2ClientConnection.
    static func replayClient(_ input: [UInt8]) {
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
        while true {
            var produced = 0
            while let event = connection.nextEvent() {
                produced += 1
                if produced > 200_000 { Issue.record("unbounded events"); return }
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
                    #expect(head.status >= 200 && head.status <= 999)
                    if random.below(8) == 0 { connection.resetStream(id) }
                case .connectionError(let error):
                    #expect(error.isConnectionError)
                case .streamError(_, let error):
                    #expect(error.isStreamError)
                default:
                    break
                }
            }
            #expect(heldBytes <= configuration.connectionWindowSize)
            output.clear()
            connection.flushOutput(into: &output)
            #expect(output.readableBytes < 1 << 20)
            guard position < input.count, !connection.isClosed else { break }
            switch random.below(12) {
            case 0:
                if let opened = try? connection.openStream(request("GET", "/\(position)"), endStream: true) {
                    streams.append(opened.id)
                }
            case 1:
                if !streams.isEmpty { connection.resetStream(streams[random.below(streams.count)], code: .cancel) }
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
            let length = min(input.count - position, random.below(4) == 0 ? 1 : 1 + random.below(600))
            connection.receive(ByteBuffer(bytes: input[position..<(position + length)]))
            position += length
        }
        if connection.isClosed { #expect(connection.nextEvent() == nil) }
    }

    @Test func clientConnectionCorpus() {
        let inputs = Self.inputs("FuzzHTTP2ClientConnection")
        #expect(inputs.count >= 70)
        for input in inputs { Self.replayClient(input) }
    }
}
