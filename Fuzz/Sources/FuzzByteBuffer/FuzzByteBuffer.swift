// Drives ByteBuffer with a random sequence of operations and checks it against an array model.
import CourierCore
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzByteBuffer_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var buffer = ByteBuffer(capacity: Int(input[0] % 64))
    // The model: every byte written, and how many have been read (so a read costs no array shift).
    var written: [UInt8] = []
    var read = 0
    var model: ArraySlice<UInt8> { written[read...] }
    var keep: [(ByteBuffer, [UInt8])] = []
    var index = 1
    while index + 1 < input.count {
        let op = input[index] % 8
        let arg = Int(input[index + 1])
        index += 2
        switch op {
        case 0, 1:
            let bytes = (0..<arg).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            buffer.writeBytes(bytes)
            written += bytes
        case 2:
            let got = buffer.readBytes(length: arg)
            if arg <= model.count {
                precondition(got.map { $0[...] } == model.prefix(arg))
                read += arg
            } else {
                precondition(got == nil)
            }
        case 3:
            if let slice = buffer.readSlice(length: min(arg, model.count)) {
                if keep.count < 32 { keep.append((slice, Array(model.prefix(slice.readableBytes)))) }
                read += slice.readableBytes
            }
        case 4:
            buffer.discardReadBytes()
        case 5:
            if keep.count < 32 { keep.append((buffer, Array(model))) }  // copies that must not change
        case 6:
            buffer.writeInteger(UInt32(arg) << 8 | 0x7f)
            written += [0, 0, UInt8(arg), 0x7f]
        default:
            buffer.reserveCapacity(minimumWritableBytes: arg * 16)
        }
        precondition(buffer.readableBytes == model.count)
        // Every byte after the operations that move storage; the ends after the others (a full comparison
        // after each of thousands of operations on a growing buffer made the harness quadratic).
        if op == 4 || op == 7 || model.count <= 512 {
            precondition(sameBytes(buffer, model))
        } else {
            precondition(sameBytes(buffer, model, range: 0..<64))
            precondition(sameBytes(buffer, model, range: model.count - 64..<model.count))
        }
    }
    precondition(sameBytes(buffer, model))
    for (copy, expected) in keep { precondition(sameBytes(copy, expected[...])) }
    return 0
}

/// Whether the buffer's readable bytes in `range` (all of them by default) equal the model's; one `memcmp`,
/// since a byte-by-byte comparison under the fuzzer's comparison tracing dominated the run time.
func sameBytes(_ buffer: ByteBuffer, _ model: ArraySlice<UInt8>, range: Range<Int>? = nil) -> Bool {
    guard buffer.readableBytes == model.count else { return false }
    let range = range ?? 0..<model.count
    guard !range.isEmpty else { return true }
    return buffer.withUnsafeReadableBytes { actual in
        model.withUnsafeBytes { expected in
            memcmp(actual.baseAddress! + range.lowerBound, expected.baseAddress! + range.lowerBound, range.count) == 0
        }
    }
}
