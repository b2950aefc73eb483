// Feeds arbitrary bytes to the streaming gzip/deflate decoder in arbitrary chunks with arbitrary output
// bounds, and checks split invariance (chunked decoding equals one-shot decoding, success or failure kind)
// and, in round-trip mode, that zlib-compressed input decodes to itself.
import CourierCore
import Courier
import CZlib

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzDecompression_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

/// What decoding produced: the bytes, and the error code if it failed.
struct Outcome: Equatable {
    var bytes: [UInt8]
    var failure: DecompressionError.Code?
}

/// Decodes `input` fed in chunks of the sizes in `chunks` (cycled), taking at most `window` bytes per call.
func decode(_ input: [UInt8], format: StreamingInflater.Format, chunks: [Int], window: Int) -> Outcome {
    let decoder = StreamingInflater(format: format)
    var output = ByteBuffer(capacity: 0)
    var offset = 0
    var index = 0
    let limit = 4 << 20
    do throws(DecompressionError) {
        while offset < input.count {
            let size = max(1, chunks[index % chunks.count])
            index += 1
            let end = min(input.count, offset + size)
            var chunk = ByteBuffer(bytes: input[offset..<end])
            offset = end
            var stalls = 0
            while chunk.readableBytes > 0 || decoder.hasPendingOutput {
                let before = (chunk.readableBytes, output.readableBytes)
                try decoder.inflate(&chunk, into: &output, maximumOutput: window)
                precondition(output.readableBytes - before.1 <= window, "more output than allowed")
                if (chunk.readableBytes, output.readableBytes) == before { stalls += 1 } else { stalls = 0 }
                // No progress with input left and room for output would hang a body: at most one stall (the
                // decoder then waits for more input, which it must have consumed entirely).
                precondition(stalls < 2, "the decoder made no progress")
                if output.readableBytes > limit { return Outcome(bytes: [], failure: .sizeLimitExceeded) }
            }
        }
        try decoder.finish()
    } catch {
        precondition(decoder.producedBytes == output.readableBytes)
        return Outcome(bytes: Array(output.readableBytesView), failure: error.code)
    }
    precondition(decoder.producedBytes == output.readableBytes)
    precondition(decoder.consumedBytes == input.count)
    return Outcome(bytes: Array(output.readableBytesView), failure: nil)
}

func compress(_ input: [UInt8], windowBits: Int32, level: Int32) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK else { fatalError("deflateInit2") }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
    let count = input.withUnsafeBufferPointer { source -> Int in
        output.withUnsafeMutableBufferPointer { target -> Int in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            stream.next_out = target.baseAddress
            stream.avail_out = uInt(target.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return target.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<count])
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 3 else { return 0 }
    let control = data[0], chunkSeed = data[1]
    let payload = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let format: StreamingInflater.Format = control & 1 == 0 ? .gzip : .deflate
    let chunks = [Int(chunkSeed % 17) + 1, Int(chunkSeed / 17) + 1, 1, 4096]
    let window = [1, 7, 512, 65536][Int(control >> 1) & 3]
    if control & 0x80 != 0 {
        // Round trip: the payload compressed in the chosen format must decode to itself, however fed.
        let windowBits: Int32 = format == .gzip ? 31 : (control & 0x40 != 0 ? -15 : 15)
        let compressed = compress(payload, windowBits: windowBits, level: Int32(control >> 3 & 7) + 1)
        let outcome = decode(compressed, format: format, chunks: chunks, window: window)
        precondition(outcome == Outcome(bytes: payload, failure: nil), "round trip failed")
        return 0
    }
    let whole = decode(payload, format: format, chunks: [payload.count], window: 65536)
    let split = decode(payload, format: format, chunks: chunks, window: window)
    if whole.failure != .sizeLimitExceeded && split.failure != .sizeLimitExceeded {
        precondition(whole == split, "chunked decoding differs from one-shot decoding")
    }
    return 0
}
