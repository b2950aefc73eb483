// Parses the input as HTTP/1.1 responses whole, at pseudo-random splits and byte by byte, and checks that
// every way of feeding the bytes gives the same events and the same error (differential against itself).
// The first input byte picks the request method (GET, HEAD, CONNECT), bare-LF leniency, EOF at the end,
// and tiny limits.
import CourierCore
import CourierHTTP1

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHTTP1Response_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

enum Record: Equatable {
    case head(status: Int, informational: Bool, fields: [[UInt8]], framing: HTTP1Framing, keepAlive: Bool)
    case body([UInt8])
    case end([[UInt8]]?)
    case upgraded([UInt8])
    case failed(HTTP1Error)
}

func flatten(_ fields: HTTP1Fields) -> [[UInt8]] {
    fields.flatMap { [Array($0.nameBytes), Array($0.valueBytes)] }
}

func run(_ data: UnsafeBufferPointer<UInt8>, splits: [Int], method: String, bareLF: Bool, finish: Bool,
         limits: HTTP1Limits) -> [Record] {
    var parser = HTTP1ResponseParser(limits: limits, allowsBareLineFeed: bareLF)
    parser.expectResponse(toMethod: method)
    var records: [Record] = []
    var upgraded = false
    func add(_ record: Record) {
        if case .body(let more) = record, case .body(let bytes)? = records.last {
            records[records.count - 1] = .body(bytes + more)
        } else {
            records.append(record)
        }
    }
    func drain() -> Bool {
        if upgraded {
            add(.upgraded(Array(parser.takeBufferedBytes().readableBytesView)))
            return true
        }
        while true {
            do {
                guard let event = try parser.next() else {
                    if parser.hasUnsolicitedBytes {
                        parser.expectResponse(toMethod: method)
                        continue
                    }
                    return true
                }
                switch event {
                case .informational(let head), .head(let head):
                    precondition(head.isInformational == (head.status < 200 && head.status != 101))
                    add(.head(status: head.status, informational: head.isInformational, fields: flatten(head.fields),
                              framing: head.framing, keepAlive: head.keepAlive))
                case .body(let bytes):
                    precondition(bytes.readableBytes > 0, "empty body event")
                    add(.body(Array(bytes.readableBytesView)))
                case .end(let trailers):
                    add(.end(trailers.map(flatten)))
                case .upgraded(let bytes):
                    upgraded = true
                    add(.upgraded(Array(bytes.readableBytesView)))
                    return true
                }
            } catch {
                add(.failed(error))
                return false
            }
        }
    }
    var start = 0
    for (index, end) in (splits + [data.count]).enumerated() {
        let piece = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: data[start..<end]))
        if index % 2 == 0 { parser.append(ByteBuffer(bytes: piece)) } else { parser.append(piece) }
        start = end
        if !drain() { return records }
    }
    if finish {
        parser.finish()
        _ = drain()
    }
    // Merge upgraded pieces so the split does not matter.
    var merged: [Record] = []
    for record in records {
        if case .upgraded(let more) = record, case .upgraded(let bytes)? = merged.last {
            merged[merged.count - 1] = .upgraded(bytes + more)
        } else {
            merged.append(record)
        }
    }
    return merged
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let config = data[0]
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let method = ["GET", "HEAD", "CONNECT", "POST"][Int(config & 3)]
    let bareLF = config & 4 != 0
    let finish = config & 8 != 0
    let limits = config & 16 != 0
        ? HTTP1Limits(maxStartLineLength: 40, maxFieldLineLength: 40, maxHeadSize: 120, maxFieldCount: 3,
                      maxChunkExtensionSize: 20, maxTrailerSize: 50)
        : HTTP1Limits()
    let whole = run(input, splits: [], method: method, bareLF: bareLF, finish: finish, limits: limits)
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
    let split = run(input, splits: splits, method: method, bareLF: bareLF, finish: finish, limits: limits)
    precondition(split == whole, "split at \(splits) differs:\n\(split)\nvs whole\n\(whole)")
    if input.count > 1 && input.count <= 512 {
        let bytewise = run(input, splits: Array(1..<input.count), method: method, bareLF: bareLF, finish: finish,
                           limits: limits)
        precondition(bytewise == whole, "byte-by-byte differs:\n\(bytewise)\nvs whole\n\(whole)")
    }
    return 0
}
