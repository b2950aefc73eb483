// Builds header lists from the input (names and values of arbitrary octets, common names, indexing
// kinds, peer table-size changes), encodes them with HPACKEncoder and decodes with HPACKDecoder:
// every list must come back identical (never-indexed preserved), and both tables must agree.
import CourierCore
import CourierHPACK

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHPACKRoundTrip_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

let commonNames: [[UInt8]] = [":method", ":path", ":authority", ":status", "cookie", "authorization",
                              "content-type", "x-custom", "accept", "set-cookie", "date", "content-length"]
    .map { Array($0.utf8) }

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 1 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let sizes = [4096, 0, 64, 200, 1365, 8192, 100, 33]
    var encoder = HPACKEncoder(maxTableSize: input[0] & 1 == 0 ? 4096 : sizes[Int(input[0] >> 1) & 7],
                               useHuffman: input[0] & 0x80 == 0)
    var decoder = HPACKDecoder(maxHeaderListSize: 1 << 24, maxFieldSize: 1 << 24)
    var index = 1
    func next() -> UInt8? {
        guard index < input.count else { return nil }
        defer { index += 1 }
        return input[index]
    }
    func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count, let byte = next() { out.append(byte) }
        return out
    }
    var expected = HPACKHeaderList()
    var decoded = HPACKHeaderList()
    var block = ByteBuffer()
    while let op = next() {
        if op & 0xf0 == 0xf0 {  // peer SETTINGS change (decoder's limit follows it)
            let size = sizes[Int(op) & 7]
            decoder.setMaxAllowedTableSize(size)
            encoder.setPeerMaxTableSize(size)
        } else if op & 0xf0 == 0xe0 || index >= input.count {  // end of list: encode, decode, compare
            block.clear()
            encoder.encode(expected, into: &block)
            do throws(HPACKError) {
                try decoder.decode(block, into: &decoded)
            } catch {
                preconditionFailure("our own block failed to decode: \(error)")
            }
            // Sensitive names come back never-indexed; everything else as the caller marked it,
            // except `.withoutIndexing`, which may come back as an indexed match.
            precondition(decoded.count == expected.count, "field count differs")
            for (got, want) in zip(decoded, expected) {
                precondition(Array(got.nameBytes) == Array(want.nameBytes), "name differs")
                precondition(Array(got.valueBytes) == Array(want.valueBytes), "value differs")
                if want.indexing == .neverIndexed { precondition(got.indexing == .neverIndexed, "never-indexed lost") }
            }
            precondition(decoder.dynamicTableSize == encoder.dynamicTableSize, "table sizes differ")
            precondition(decoder.dynamicTableCount == encoder.dynamicTableCount, "table counts differ")
            expected.removeAll()
        } else {  // a field
            let name = op & 0x08 != 0 ? commonNames[Int(op) % commonNames.count] : bytes(Int(next() ?? 0) % 40)
            let value = bytes(Int(next() ?? 0) & 0x7f)
            let indexing: HPACKIndexing = op & 0x30 == 0x10 ? .withoutIndexing : op & 0x30 == 0x20 ? .neverIndexed : .indexable
            name.withUnsafeBytes { name in
                value.withUnsafeBytes { value in expected.append(name: name, value: value, indexing: indexing) }
            }
        }
    }
    return 0
}
