import CourierCore
import CourierTestSupport
import Testing
@testable import CourierHTTP2

/// The frame codec: the 34 http2-frame-test-case vectors, round trips of every frame type, every
/// frame decoded under every split of its bytes, and the §4 and §6 validation table.
@Suite struct HTTP2FrameCodecTests {
    // MARK: - http2-frame-test-case

    static let vectorFiles: [String] = {
        Fixtures.list("http2/http2-frame-test-case").flatMap { directory in
            Fixtures.list("http2/http2-frame-test-case/\(directory)").filter { $0.hasSuffix(".json") }
                .map { "http2/http2-frame-test-case/\(directory)/\($0)" }
        }
    }()

    @Test func thereAre34Vectors() {
        #expect(Self.vectorFiles.count == 34)
        #expect(Self.vectorFiles.filter { $0.contains("/error/") }.count == 22)
    }

    @Test(arguments: vectorFiles)
    func frameTestCaseVector(_ file: String) throws {
        let vector = try H2.json(file)
        let wire = H2.bytes(hex: vector["wire"] as! String)
        var decoder = HTTP2FrameDecoder()
        decoder.append(H2.buffer(wire))
        if let codes = vector["error"] as? [Int] {
            do {
                let frame = try decoder.nextFrame()
                Issue.record("\(file): decoded \(String(describing: frame)) instead of failing with \(codes)")
            } catch {
                #expect(codes.contains(Int(error.wireCode.rawValue)), "\(file): \(error)")
            }
            return
        }
        let expected = vector["frame"] as! [String: Any]
        let frame = try #require(try decoder.nextFrame())
        #expect(decoder.bufferedBytes == 0)
        #expect(Int(frame.type.rawValue) == expected["type"] as! Int)
        #expect(Int(frame.streamID.rawValue) == expected["stream_identifier"] as! Int)
        #expect(wire.count - 9 == expected["length"] as! Int)
        try checkPayload(frame, expected["frame_payload"] as! [String: Any], file: file)
        // Re-encoding gives the same octets, except that padding is written as zeros.
        var encoded = ByteBuffer()
        HTTP2FrameEncoder.encode(frame, into: &encoded)
        #expect(H2.hex(encoded.readableBytesView) == H2.hex(zeroingPadding(wire, frame)), "\(file) re-encoded")
        #expect(Int(encoded.getInteger(at: 4, as: UInt8.self)!) == expected["flags"] as! Int, "\(file) flags")
        // And decodes the same under every split.
        try expectSplitInvariance(wire, frame, file: file)
    }

    private func text(_ buffer: ByteBuffer) -> String { String(decoding: buffer.readableBytesView, as: UTF8.self) }

    private func checkPayload(_ frame: HTTP2Frame, _ payload: [String: Any], file: String) throws {
        switch frame.payload {
        case .data(let data):
            #expect(text(data.data) == payload["data"] as! String, "\(file)")
            #expect(data.paddingLength == payload["padding_length"] as? Int, "\(file)")
        case .headers(let headers):
            #expect(text(headers.fragment) == payload["header_block_fragment"] as! String, "\(file)")
            #expect(headers.paddingLength == payload["padding_length"] as? Int, "\(file)")
            #expect(headers.priority.map { Int($0.dependency.rawValue) } == payload["stream_dependency"] as? Int)
            #expect(headers.priority?.weight == payload["weight"] as? Int, "\(file)")
            #expect(headers.priority?.exclusive == payload["exclusive"] as? Bool, "\(file)")
        case .priority(let priority):
            #expect(Int(priority.dependency.rawValue) == payload["stream_dependency"] as! Int, "\(file)")
            #expect(priority.weight == payload["weight"] as! Int, "\(file)")
            #expect(priority.exclusive == payload["exclusive"] as! Bool, "\(file)")
        case .rstStream(let code):
            #expect(Int(code.rawValue) == payload["error_code"] as! Int, "\(file)")
        case .settings(let settings):
            let pairs = settings.settings.map { [Int($0.id.rawValue), Int($0.value)] }
            #expect(pairs == payload["settings"] as! [[Int]], "\(file)")
        case .pushPromise(let promise):
            #expect(text(promise.fragment) == payload["header_block_fragment"] as! String, "\(file)")
            #expect(Int(promise.promisedStreamID.rawValue) == payload["promised_stream_id"] as! Int, "\(file)")
            #expect(promise.paddingLength == payload["padding_length"] as? Int, "\(file)")
        case .ping(let ping):
            #expect(ping.data.bytes == Array((payload["opaque_data"] as! String).utf8), "\(file)")
        case .goAway(let goAway):
            #expect(Int(goAway.lastStreamID.rawValue) == payload["last_stream_id"] as! Int, "\(file)")
            #expect(Int(goAway.errorCode.rawValue) == payload["error_code"] as! Int, "\(file)")
            #expect(text(goAway.debugData) == payload["additional_debug_data"] as! String, "\(file)")
        case .windowUpdate(let increment):
            #expect(Int(increment) == payload["window_size_increment"] as! Int, "\(file)")
        case .continuation(let continuation):
            #expect(text(continuation.fragment) == payload["header_block_fragment"] as! String, "\(file)")
        case .unknown:
            Issue.record("\(file): unknown frame type")
        }
    }

    /// The wire octets with the padding (the frame's last `paddingLength` octets) set to zero.
    private func zeroingPadding(_ wire: [UInt8], _ frame: HTTP2Frame) -> [UInt8] {
        let padding: Int? = switch frame.payload {
        case .data(let data): data.paddingLength
        case .headers(let headers): headers.paddingLength
        case .pushPromise(let promise): promise.paddingLength
        default: nil
        }
        guard let padding, padding > 0 else { return wire }
        var zeroed = wire
        for index in (wire.count - padding)..<wire.count { zeroed[index] = 0 }
        return zeroed
    }

    // MARK: - Round trips and split invariance

    static let roundTripFrames: [HTTP2Frame] = {
        let bytes = ByteBuffer(string: "hello, frames")
        let empty = ByteBuffer()
        return [
            HTTP2Frame(streamID: 1, payload: .data(.init(data: bytes))),
            HTTP2Frame(streamID: 3, payload: .data(.init(data: bytes, endStream: true))),
            HTTP2Frame(streamID: 5, payload: .data(.init(data: empty, endStream: true, paddingLength: 0))),
            HTTP2Frame(streamID: 7, payload: .data(.init(data: bytes, paddingLength: 255))),
            HTTP2Frame(streamID: 1, payload: .headers(.init(fragment: bytes))),
            HTTP2Frame(streamID: 1, payload: .headers(.init(fragment: bytes, endStream: true, endHeaders: false))),
            HTTP2Frame(streamID: 9, payload: .headers(.init(fragment: bytes, priority: .init(exclusive: true, dependency: 3, weight: 256),
                                                            paddingLength: 7))),
            HTTP2Frame(streamID: 11, payload: .headers(.init(fragment: empty, priority: .init(dependency: 0, weight: 1)))),
            HTTP2Frame(streamID: 3, payload: .priority(.init(exclusive: false, dependency: 1, weight: 16))),
            HTTP2Frame(streamID: 3, payload: .priority(.init(exclusive: true, dependency: HTTP2StreamID.maximum, weight: 200))),
            HTTP2Frame(streamID: 1, payload: .rstStream(.cancel)),
            HTTP2Frame(streamID: 1, payload: .rstStream(HTTP2ErrorCode(0xdead))),
            HTTP2Frame(streamID: 0, payload: .settings(.init())),
            HTTP2Frame(streamID: 0, payload: .settings(.init(ack: true))),
            HTTP2Frame(streamID: 0, payload: .settings(.init(settings: [HTTP2Setting(.headerTableSize, 0),
                                                                        HTTP2Setting(.enablePush, 0),
                                                                        HTTP2Setting(.maxConcurrentStreams, 100),
                                                                        HTTP2Setting(.initialWindowSize, 0x7fff_ffff),
                                                                        HTTP2Setting(.maxFrameSize, 16_777_215),
                                                                        HTTP2Setting(.maxHeaderListSize, 0),
                                                                        HTTP2Setting(HTTP2SettingID(0xabcd), 12)]))),
            HTTP2Frame(streamID: 1, payload: .pushPromise(.init(promisedStreamID: 2, fragment: bytes))),
            HTTP2Frame(streamID: 1, payload: .pushPromise(.init(promisedStreamID: 4, fragment: bytes, endHeaders: false,
                                                                paddingLength: 3))),
            HTTP2Frame(streamID: 0, payload: .ping(.init(data: HTTP2PingData(0x0102_0304_0506_0708)))),
            HTTP2Frame(streamID: 0, payload: .ping(.init(data: HTTP2PingData(.max), ack: true))),
            HTTP2Frame(streamID: 0, payload: .goAway(.init(lastStreamID: 0, errorCode: .noError))),
            HTTP2Frame(streamID: 0, payload: .goAway(.init(lastStreamID: 31, errorCode: .enhanceYourCalm, debugData: bytes))),
            HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 1)),
            HTTP2Frame(streamID: 5, payload: .windowUpdate(increment: 0x7fff_ffff)),
            HTTP2Frame(streamID: 1, payload: .continuation(.init(fragment: bytes, endHeaders: false))),
            HTTP2Frame(streamID: 1, payload: .continuation(.init(fragment: empty))),
            HTTP2Frame(streamID: 0, payload: .unknown(.init(type: HTTP2FrameType(0xfa), flags: 0xff, payload: bytes))),
            HTTP2Frame(streamID: 7, payload: .unknown(.init(type: HTTP2FrameType(0x10), flags: 0, payload: empty))),
        ]
    }()

    @Test func everyFrameTypeIsCovered() {
        let types = Set(Self.roundTripFrames.map(\.type.rawValue))
        #expect(types.isSuperset(of: Set(0...9)))
        #expect(types.contains { $0 > 9 })
    }

    @Test(arguments: roundTripFrames)
    func roundTrip(_ frame: HTTP2Frame) throws {
        var encoded = ByteBuffer()
        HTTP2FrameEncoder.encode(frame, into: &encoded)
        var decoder = HTTP2FrameDecoder()
        decoder.append(encoded)
        #expect(try decoder.nextFrame() == frame)
        #expect(try decoder.nextFrame() == nil)
        try expectSplitInvariance(Array(encoded.readableBytesView), frame, file: frame.description)
    }

    /// Decodes `wire` after splitting it at every position, and one octet at a time.
    private func expectSplitInvariance(_ wire: [UInt8], _ frame: HTTP2Frame, file: String) throws {
        for split in 0...wire.count {
            var decoder = HTTP2FrameDecoder()
            decoder.append(H2.buffer(Array(wire[..<split])))
            if split < wire.count {
                #expect(try decoder.nextFrame() == nil, "\(file): split at \(split)")
            }
            decoder.append(H2.buffer(Array(wire[split...])))
            #expect(try decoder.nextFrame() == frame, "\(file): split at \(split)")
            #expect(decoder.bufferedBytes == 0)
        }
        var decoder = HTTP2FrameDecoder()
        var decoded: [HTTP2Frame] = []
        for octet in wire {
            decoder.append(H2.buffer([octet]))
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
        }
        #expect(decoded == [frame], "\(file): one octet at a time")
    }

    @Test func manyFramesInOneBufferDecodeInOrderUnderEverySplit() throws {
        var wire = ByteBuffer()
        for frame in Self.roundTripFrames { HTTP2FrameEncoder.encode(frame, into: &wire) }
        let bytes = Array(wire.readableBytesView)
        for split in stride(from: 0, through: bytes.count, by: 7) {
            var decoder = HTTP2FrameDecoder()
            var decoded: [HTTP2Frame] = []
            decoder.append(H2.buffer(Array(bytes[..<split])))
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
            decoder.append(H2.buffer(Array(bytes[split...])))
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
            #expect(decoded == Self.roundTripFrames, "split at \(split)")
        }
    }

    @Test func decodedFieldsAreViewsOfTheInput() throws {
        var wire = ByteBuffer()
        HTTP2FrameEncoder.writeData(stream: 1, data: ByteBuffer(string: "payload"), endStream: false, into: &wire)
        var copy = wire
        let frame = try #require(try HTTP2FrameDecoder.decodeFrame(from: &copy, maxFrameSize: 16384))
        guard case .data(let data) = frame.payload else { Issue.record("not DATA"); return }
        // Same storage: the slice's bytes live inside the input buffer's memory.
        let inputStart = wire.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let sliceStart = data.data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(sliceStart == inputStart + 9)
    }

    // MARK: - §4 and §6 validation, one row per rule

    struct Violation: CustomStringConvertible, Sendable {
        var name: String
        var wire: [UInt8]
        var code: HTTP2ErrorCode
        var streamScoped: HTTP2StreamID?
        var description: String { name }
    }

    static let violations: [Violation] = [
        .init(name: "§4.2 frame above SETTINGS_MAX_FRAME_SIZE", wire: H2.frame(.data, stream: 1, [UInt8](repeating: 0, count: 16385)),
              code: .frameSizeError),
        .init(name: "§6.1 DATA on stream 0", wire: H2.frame(.data, stream: 0, [1]), code: .protocolError),
        .init(name: "§6.1 DATA padding equal to the payload", wire: H2.frame(.data, flags: 0x8, stream: 1, [3, 0, 0]),
              code: .protocolError),
        .init(name: "§6.1 DATA PADDED without Pad Length", wire: H2.frame(.data, flags: 0x8, stream: 1, []), code: .frameSizeError),
        .init(name: "§6.2 HEADERS on stream 0", wire: H2.frame(.headers, flags: 0x4, stream: 0, [0x88]), code: .protocolError),
        .init(name: "§6.2 HEADERS padding too long", wire: H2.frame(.headers, flags: 0xc, stream: 1, [5, 0x88]),
              code: .protocolError),
        .init(name: "§6.2 HEADERS PRIORITY fields truncated", wire: H2.frame(.headers, flags: 0x24, stream: 1, [0, 0, 0]),
              code: .frameSizeError),
        .init(name: "§6.2 HEADERS padding leaves no room for PRIORITY", wire: H2.frame(.headers, flags: 0x2c, stream: 1, [3, 0, 0, 0, 3, 9, 0, 0]),
              code: .protocolError),
        .init(name: "§6.3 PRIORITY on stream 0", wire: H2.frame(.priority, stream: 0, [0, 0, 0, 1, 16]), code: .protocolError),
        .init(name: "§6.3 PRIORITY of 4 octets", wire: H2.frame(.priority, stream: 3, [0, 0, 0, 1]), code: .frameSizeError,
              streamScoped: 3),
        .init(name: "§6.3 PRIORITY of 6 octets", wire: H2.frame(.priority, stream: 3, [0, 0, 0, 1, 16, 0]), code: .frameSizeError,
              streamScoped: 3),
        .init(name: "§5.3.1 PRIORITY on itself", wire: H2.frame(.priority, stream: 3, [0, 0, 0, 3, 16]), code: .protocolError,
              streamScoped: 3),
        .init(name: "§6.4 RST_STREAM on stream 0", wire: H2.frame(.rstStream, stream: 0, H2.u32(8)), code: .protocolError),
        .init(name: "§6.4 RST_STREAM of 3 octets", wire: H2.frame(.rstStream, stream: 1, [0, 0, 8]), code: .frameSizeError),
        .init(name: "§6.4 RST_STREAM of 5 octets", wire: H2.frame(.rstStream, stream: 1, [0, 0, 0, 8, 0]), code: .frameSizeError),
        .init(name: "§6.5 SETTINGS on a stream", wire: H2.frame(.settings, stream: 1, []), code: .protocolError),
        .init(name: "§6.5 SETTINGS ACK with a payload", wire: H2.frame(.settings, flags: 1, H2.u16(3) + H2.u32(1)),
              code: .frameSizeError),
        .init(name: "§6.5 SETTINGS of 5 octets", wire: H2.frame(.settings, [0, 3, 0, 0, 1]), code: .frameSizeError),
        .init(name: "§6.5.2 ENABLE_PUSH = 2", wire: H2.settings([(0x2, 2)]), code: .protocolError),
        .init(name: "§6.5.2 INITIAL_WINDOW_SIZE = 2^31", wire: H2.settings([(0x4, 0x8000_0000)]), code: .flowControlError),
        .init(name: "§6.5.2 MAX_FRAME_SIZE = 2^14 - 1", wire: H2.settings([(0x5, 16383)]), code: .protocolError),
        .init(name: "§6.5.2 MAX_FRAME_SIZE = 2^24", wire: H2.settings([(0x5, 16_777_216)]), code: .protocolError),
        .init(name: "RFC 9218 NO_RFC7540_PRIORITIES = 2", wire: H2.settings([(0x9, 2)]), code: .protocolError),
        .init(name: "§6.6 PUSH_PROMISE on stream 0", wire: H2.frame(.pushPromise, flags: 4, stream: 0, H2.u32(2)),
              code: .protocolError),
        .init(name: "§6.6 PUSH_PROMISE promising stream 0", wire: H2.frame(.pushPromise, flags: 4, stream: 1, H2.u32(0)),
              code: .protocolError),
        .init(name: "§6.6 PUSH_PROMISE promising an odd stream", wire: H2.frame(.pushPromise, flags: 4, stream: 1, H2.u32(3)),
              code: .protocolError),
        .init(name: "§6.6 PUSH_PROMISE without a promised stream", wire: H2.frame(.pushPromise, flags: 4, stream: 1, [0, 0]),
              code: .frameSizeError),
        .init(name: "§6.7 PING on a stream", wire: H2.ping(1, stream: 1), code: .protocolError),
        .init(name: "§6.7 PING of 7 octets", wire: H2.frame(.ping, [1, 2, 3, 4, 5, 6, 7]), code: .frameSizeError),
        .init(name: "§6.7 PING of 9 octets", wire: H2.frame(.ping, [1, 2, 3, 4, 5, 6, 7, 8, 9]), code: .frameSizeError),
        .init(name: "§6.8 GOAWAY on a stream", wire: H2.frame(.goAway, stream: 1, H2.u32(0) + H2.u32(0)), code: .protocolError),
        .init(name: "§6.8 GOAWAY of 7 octets", wire: H2.frame(.goAway, [0, 0, 0, 0, 0, 0, 0]), code: .frameSizeError),
        .init(name: "§6.9 WINDOW_UPDATE of 0 on the connection", wire: H2.windowUpdate(0, 0), code: .protocolError),
        .init(name: "§6.9 WINDOW_UPDATE of 0 on a stream", wire: H2.windowUpdate(1, 0), code: .protocolError, streamScoped: 1),
        .init(name: "§6.9 WINDOW_UPDATE of 0 with the reserved bit", wire: H2.windowUpdate(1, 0x8000_0000), code: .protocolError,
              streamScoped: 1),
        .init(name: "§6.9 WINDOW_UPDATE of 3 octets", wire: H2.frame(.windowUpdate, stream: 1, [0, 0, 1]), code: .frameSizeError),
        .init(name: "§6.9 WINDOW_UPDATE of 5 octets", wire: H2.frame(.windowUpdate, stream: 0, [0, 0, 0, 1, 0]),
              code: .frameSizeError),
        .init(name: "§6.10 CONTINUATION on stream 0", wire: H2.frame(.continuation, flags: 4, stream: 0, [0x88]),
              code: .protocolError),
    ]

    @Test(arguments: violations)
    func violationIsReportedWithItsCodeAndScope(_ violation: Violation) {
        var decoder = HTTP2FrameDecoder()
        decoder.append(H2.buffer(violation.wire))
        do {
            let frame = try decoder.nextFrame()
            Issue.record("decoded \(String(describing: frame))")
        } catch {
            #expect(error.wireCode == violation.code)
            #expect(error.origin == .peer)
            if let stream = violation.streamScoped {
                #expect(error.scope == .stream(stream))
                #expect(decoder.bufferedBytes == 0, "a stream error consumes the frame")
            } else {
                #expect(error.scope == .connection)
            }
        }
    }

    @Test func section4_1_reservedBitsAndUnusedFlagsAreIgnored() throws {
        // Stream identifier with the reserved bit, PING with every undefined flag, WINDOW_UPDATE and
        // GOAWAY with their reserved bits.
        var decoder = HTTP2FrameDecoder()
        decoder.append(H2.buffer(H2.frame(.ping, flags: 0xfe, stream: 0x8000_0000, [1, 2, 3, 4, 5, 6, 7, 8])))
        decoder.append(H2.buffer(H2.windowUpdate(0x8000_0005, 0x8000_0010)))
        decoder.append(H2.buffer(H2.frame(.goAway, H2.u32(0x8000_0007) + H2.u32(0))))
        decoder.append(H2.buffer(H2.frame(.data, flags: 0xf6, stream: 1, [0x61])))
        #expect(try decoder.nextFrame() == HTTP2Frame(streamID: 0, payload: .ping(.init(data: HTTP2PingData(0x0102_0304_0506_0708)))))
        #expect(try decoder.nextFrame() == HTTP2Frame(streamID: 5, payload: .windowUpdate(increment: 16)))
        #expect(try decoder.nextFrame() == HTTP2Frame(streamID: 0, payload: .goAway(.init(lastStreamID: 7, errorCode: .noError))))
        #expect(try decoder.nextFrame() == HTTP2Frame(streamID: 1, payload: .data(.init(data: ByteBuffer(string: "a")))))
    }

    @Test func section4_2_largerFramesAreAcceptedWhenWeAdvertiseThem() throws {
        var decoder = HTTP2FrameDecoder(maxFrameSize: 1 << 20)
        let content = [UInt8](repeating: 0x78, count: 100_000)
        decoder.append(H2.buffer(H2.data(1, content)))
        let frame = try #require(try decoder.nextFrame())
        guard case .data(let data) = frame.payload else { Issue.record("not DATA"); return }
        #expect(data.data.readableBytes == 100_000)
    }

    @Test func section4_2_anOversizedFrameFailsBeforeItsPayloadArrives() {
        var decoder = HTTP2FrameDecoder()
        decoder.append(H2.buffer([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]))  // 65536 octets announced
        #expect(throws: HTTP2Error.self) { try decoder.nextFrame() }
    }

    @Test func section6_5_unknownSettingsAreKeptForTheReceiverToIgnore() throws {
        var decoder = HTTP2FrameDecoder()
        decoder.append(H2.buffer(H2.settings([(0xff00, 1), (0x3, 7)])))
        let frame = try #require(try decoder.nextFrame())
        guard case .settings(let settings) = frame.payload else { Issue.record("not SETTINGS"); return }
        #expect(Array(settings.settings) == [HTTP2Setting(HTTP2SettingID(0xff00), 1), HTTP2Setting(.maxConcurrentStreams, 7)])
        var applied = HTTP2Settings.initial
        for setting in settings.settings { applied.apply(setting) }
        #expect(applied.maxConcurrentStreams == 7)
    }

    @Test func connectionPrefaceIsCheckedOctetByOctet() throws {
        var buffer = ByteBuffer(bytes: Array(HTTP2ConnectionPreface.bytes.prefix(10)))
        #expect(try HTTP2ConnectionPreface.consume(from: &buffer) == false)
        buffer.writeBytes(HTTP2ConnectionPreface.bytes.dropFirst(10))
        #expect(try HTTP2ConnectionPreface.consume(from: &buffer) == true)
        #expect(buffer.readableBytes == 0)
        var wrong = ByteBuffer(string: "GET / HTTP/1.1\r\n")
        #expect(throws: HTTP2Error.self) { try HTTP2ConnectionPreface.consume(from: &wrong) }
        var early = ByteBuffer(string: "PRX")
        #expect(throws: HTTP2Error.self) { try HTTP2ConnectionPreface.consume(from: &early) }
    }

    @Test func headerBlocksAreSplitIntoContinuationFramesAtTheFrameSize() throws {
        let block = [UInt8](repeating: 0xab, count: 16384 * 2 + 100)
        var out = ByteBuffer()
        HTTP2FrameEncoder.writeHeaderBlock(stream: 5, endStream: true, maxFrameSize: 16384, into: &out) { buffer in
            buffer.writeBytes(block)
        }
        let frames = H2.frames(in: out)
        #expect(frames.count == 3)
        guard case .headers(let headers) = frames[0].payload, case .continuation(let second) = frames[1].payload,
              case .continuation(let third) = frames[2].payload else { Issue.record("\(frames)"); return }
        #expect(headers.endStream && !headers.endHeaders && headers.fragment.readableBytes == 16384)
        #expect(!second.endHeaders && second.fragment.readableBytes == 16384)
        #expect(third.endHeaders && third.fragment.readableBytes == 100)
        #expect(frames.allSatisfy { $0.streamID == 5 })
        let joined = Array(headers.fragment.readableBytesView) + Array(second.fragment.readableBytesView)
            + Array(third.fragment.readableBytesView)
        #expect(joined == block)
    }
}
