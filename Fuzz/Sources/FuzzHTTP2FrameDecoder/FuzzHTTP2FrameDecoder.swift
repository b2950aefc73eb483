// Feeds arbitrary bytes to HTTP2FrameDecoder. The first octet picks SETTINGS_MAX_FRAME_SIZE, the
// second where the bytes are split in two. Checks: no crash; decoding whole and split gives the
// same frames and errors; decoding stops at the first connection error (stream errors consume
// their frame); every decoded frame re-encodes and decodes to itself; nothing is left buffered
// beyond one partial frame.
import CourierCore
import CourierHTTP2

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHTTP2FrameDecoder_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

enum Outcome: Equatable {
    case frame(HTTP2Frame)
    case failure(HTTP2Error.Code, HTTP2Error.Scope, HTTP2ErrorCode)
}

func decodeAll(_ chunks: [ByteBuffer], maxFrameSize: Int) -> [Outcome] {
    var decoder = HTTP2FrameDecoder(maxFrameSize: maxFrameSize)
    var outcomes: [Outcome] = []
    for chunk in chunks {
        decoder.append(chunk)
        while true {
            do throws(HTTP2Error) {
                guard let frame = try decoder.nextFrame() else { break }
                outcomes.append(.frame(frame))
            } catch {
                outcomes.append(.failure(error.code, error.scope, error.wireCode))
                if error.isConnectionError { return outcomes }
            }
        }
        precondition(decoder.bufferedBytes < HTTP2Frame.headerSize + maxFrameSize, "more than one partial frame buffered")
    }
    return outcomes
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 2 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let frameSizes = [16384, 16385, 65536, 16_777_215]
    let maxFrameSize = frameSizes[Int(input[0] & 3)]
    let wire = ByteBuffer(bytes: input[2...])
    let split = Int(input[1]) * wire.readableBytes / 256
    let whole = decodeAll([wire], maxFrameSize: maxFrameSize)
    let halves = decodeAll([wire.getSlice(at: 0, length: split)!,
                            wire.getSlice(at: split, length: wire.readableBytes - split)!], maxFrameSize: maxFrameSize)
    precondition(whole == halves, "split changed the result")
    for outcome in whole {
        guard case .frame(let frame) = outcome else { continue }
        var encoded = ByteBuffer()
        HTTP2FrameEncoder.encode(frame, into: &encoded)
        precondition(decodeAll([encoded], maxFrameSize: maxFrameSize) == [.frame(frame)], "round trip failed")
    }
    return 0
}
