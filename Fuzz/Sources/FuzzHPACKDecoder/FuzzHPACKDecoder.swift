// Feeds arbitrary header blocks to HPACKDecoder. The first octet picks limits and table sizes; the
// rest is split into blocks at 0xFE 0xFD markers and decoded in order with one decoder, so table
// state carries across blocks. Checks: no crash, errors are typed, decoded lists respect the limits,
// and the table never exceeds its size.
import CourierCore
import CourierHPACK

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHPACKDecoder_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let config = input[0]
    let tableSizes = [4096, 0, 64, 256, 1365, 16384, 100, 4095]
    let listSizes = [65536, 512, 4096, 1 << 20]
    let fieldSizes = [16384, 64, 1024, 1 << 20]
    var decoder = HPACKDecoder(maxHeaderListSize: listSizes[Int(config >> 3) & 3],
                               maxFieldSize: fieldSizes[Int(config >> 5) & 3],
                               maxTableSize: tableSizes[Int(config) & 7])
    var list = HPACKHeaderList()
    var start = 1
    var index = 1
    var blocks = 0
    while start <= input.count && blocks < 64 {
        var end = input.count
        while index + 1 < input.count {
            if input[index] == 0xfe && input[index + 1] == 0xfd {
                end = index
                break
            }
            index += 1
        }
        let block = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[start..<end]))
        blocks += 1
        // A settings change between blocks, steered by the block's length.
        if blocks > 1 && block.count % 5 == 0 { decoder.setMaxAllowedTableSize(tableSizes[block.count % 8]) }
        do throws(HPACKError) {
            try decoder.decode(block, into: &list)
            precondition(list.headerListSize <= decoder.maxHeaderListSize, "list over its limit")
            precondition(list.allSatisfy { $0.nameLength + $0.valueLength <= decoder.maxFieldSize }, "field over limit")
            precondition(list.headerListSize == list.reduce(0) { $0 + $1.size }, "list size miscounted")
            for field in list { _ = field.name.utf8.count + field.value.utf8.count }
        } catch {
            if error.isCompressionError { return 0 }  // the connection would end here
            precondition(error.isLimitExceeded, "unexpected error kind")
        }
        precondition(decoder.dynamicTableSize <= decoder.dynamicTableMaxSize, "table over its size")
        precondition(decoder.dynamicTableMaxSize <= max(decoder.maxAllowedTableSize, tableSizes[Int(config) & 7]),
                     "table max above what was allowed")
        precondition(decoder.dynamicTableEntries.reduce(0) { $0 + $1.size } == decoder.dynamicTableSize,
                     "table size miscounted")
        start = end + 2
        index = start
    }
    return 0
}
