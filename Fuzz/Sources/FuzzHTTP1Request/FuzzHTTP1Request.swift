// Parses the input as HTTP/1.1 requests (server role) whole, at pseudo-random splits and byte by byte, and
// checks every way of feeding the bytes gives the same events and the same error. The first input byte
// picks EOF at the end, tiny limits, and whether upgrade requests are accepted or declined.
import CourierCore
import CourierHTTP1

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzHTTP1Request_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

enum Record: Equatable {
    case head(method: [UInt8], target: [UInt8], version: HTTP1Version, fields: [[UInt8]], framing: HTTP1Framing,
              keepAlive: Bool, expectsContinue: Bool, upgrade: Bool)
    case body([UInt8])
    case end([[UInt8]]?)
    case upgraded([UInt8])
    case failed(HTTP1Error)
}

func flatten(_ fields: HTTP1Fields) -> [[UInt8]] {
    fields.flatMap { [Array($0.nameBytes), Array($0.valueBytes)] }
}

func run(_ data: UnsafeBufferPointer<UInt8>, splits: [Int], finish: Bool, acceptUpgrades: Bool,
         limits: HTTP1Limits) -> [Record] {
    var parser = HTTP1RequestParser(limits: limits)
    var records: [Record] = []
    var upgraded = false
    func add(_ record: Record) {
        switch (records.last, record) {
        case (.body(let bytes)?, .body(let more)): records[records.count - 1] = .body(bytes + more)
        case (.upgraded(let bytes)?, .upgraded(let more)): records[records.count - 1] = .upgraded(bytes + more)
        default: records.append(record)
        }
    }
    func drain() -> Bool {
        while true {
            if upgraded {
                add(.upgraded(Array(parser.takeBufferedBytes().readableBytesView)))
                return true
            }
            do {
                guard let event = try parser.next() else {
                    if parser.isPausedForUpgrade {
                        if acceptUpgrades {
                            upgraded = true
                            add(.upgraded(Array(parser.acceptUpgrade().readableBytesView)))
                        } else {
                            parser.declineUpgrade()
                            continue
                        }
                    }
                    return true
                }
                switch event {
                case .head(let head):
                    add(.head(method: Array(head.methodBytes), target: Array(head.targetBytes), version: head.version,
                              fields: flatten(head.fields), framing: head.framing, keepAlive: head.keepAlive,
                              expectsContinue: head.expectsContinue, upgrade: head.isUpgradeRequest))
                case .body(let bytes):
                    precondition(bytes.readableBytes > 0, "empty body event")
                    add(.body(Array(bytes.readableBytesView)))
                case .end(let trailers):
                    add(.end(trailers.map(flatten)))
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
    return records
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let config = data[0]
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let finish = config & 1 != 0
    let acceptUpgrades = config & 4 != 0
    let limits = config & 2 != 0
        ? HTTP1Limits(maxStartLineLength: 40, maxFieldLineLength: 40, maxHeadSize: 120, maxFieldCount: 3,
                      maxChunkExtensionSize: 20, maxTrailerSize: 50)
        : HTTP1Limits()
    let whole = run(input, splits: [], finish: finish, acceptUpgrades: acceptUpgrades, limits: limits)
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
    let split = run(input, splits: splits, finish: finish, acceptUpgrades: acceptUpgrades, limits: limits)
    precondition(split == whole, "split at \(splits) differs:\n\(split)\nvs whole\n\(whole)")
    if input.count > 1 && input.count <= 512 {
        let bytewise = run(input, splits: Array(1..<input.count), finish: finish, acceptUpgrades: acceptUpgrades,
                           limits: limits)
        precondition(bytewise == whole, "byte-by-byte differs:\n\(bytewise)\nvs whole\n\(whole)")
    }
    return 0
}
