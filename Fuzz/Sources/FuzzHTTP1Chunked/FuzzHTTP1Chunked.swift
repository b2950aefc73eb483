// Decodes the input as a chunked body (HTTP1ChunkedDecoder) whole, at pseudo-random splits and byte by
// byte, and checks every way of feeding the bytes gives the same data, trailers, leftover and error. The
// first input byte picks bare-LF leniency, EOF at the end and tiny limits.
import CourierCore
import CourierHTTP1

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHTTP1Chunked_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

struct Outcome: Equatable {
    var data: [UInt8] = []
    var trailers: [[UInt8]]?
    var ended = false
    var leftover: [UInt8] = []
    var error: HTTP1Error?
}

func run(_ input: UnsafeBufferPointer<UInt8>, splits: [Int], bareLF: Bool, finish: Bool,
         limits: HTTP1Limits) -> Outcome {
    var decoder = HTTP1ChunkedDecoder(limits: limits, allowsBareLineFeed: bareLF)
    var outcome = Outcome()
    var start = 0
    do {
        for (index, end) in (splits + [input.count]).enumerated() {
            let piece = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[start..<end]))
            if index % 2 == 0 { decoder.append(ByteBuffer(bytes: piece)) } else { decoder.append(piece) }
            start = end
            while let event = try decoder.next() {
                switch event {
                case .data(let bytes):
                    precondition(bytes.readableBytes > 0, "empty data event")
                    precondition(!outcome.ended, "data after the end")
                    outcome.data += Array(bytes.readableBytesView)
                case .end(let trailers):
                    precondition(!outcome.ended, "two ends")
                    outcome.ended = true
                    outcome.trailers = trailers.map { fields in
                        fields.flatMap { [Array($0.nameBytes), Array($0.valueBytes)] }
                    }
                }
            }
            if outcome.ended { outcome.leftover += Array(decoder.takeBufferedBytes().readableBytesView) }
        }
        if finish && !outcome.ended {
            decoder.finish()
            while try decoder.next() != nil {}
        }
    } catch {
        outcome.error = error
    }
    return outcome
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let config = data[0]
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let bareLF = config & 1 != 0
    let finish = config & 2 != 0
    let limits = config & 4 != 0
        ? HTTP1Limits(maxFieldLineLength: 30, maxFieldCount: 2, maxChunkExtensionSize: 12, maxTrailerSize: 40)
        : HTTP1Limits()
    let whole = run(input, splits: [], bareLF: bareLF, finish: finish, limits: limits)
    var seed = UInt64(size) &* 0x9E37_79B9_7F4A_7C15
    for byte in input { seed = (seed ^ UInt64(byte)) &* 0x0100_0000_01B3 }
    var splits: [Int] = []
    if input.count > 1 {
        for _ in 0..<(1 + Int(seed % 6)) {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            splits.append(1 + Int((seed >> 33) % UInt64(input.count - 1)))
        }
    }
    splits = Set(splits).sorted()
    let split = run(input, splits: splits, bareLF: bareLF, finish: finish, limits: limits)
    precondition(split == whole, "split at \(splits) differs:\n\(split)\nvs whole\n\(whole)")
    if input.count > 1 && input.count <= 512 {
        let bytewise = run(input, splits: Array(1..<input.count), bareLF: bareLF, finish: finish, limits: limits)
        precondition(bytewise == whole, "byte-by-byte differs:\n\(bytewise)\nvs whole\n\(whole)")
    }
    return 0
}
