import CourierCore
import CourierHPACK
import CourierTestSupport
import Foundation

/// Shared helpers for the HPACK tests: fixture loading, hex, and byte-level comparisons.
enum HPACKTestSupport {
    /// Parses a JSON fixture under `Tests/Fixtures/`.
    static func json(_ relative: String) throws -> [String: Any] {
        let data = Data(try Fixtures.bytes(relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Bytes from lowercase or uppercase hex.
    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            let nibble: UInt8 = switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
            default: preconditionFailure("not hex: \(hex)")
            }
            if let pending = high {
                result.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The octets of a fixture string that is a latin-1 view of bytes (every scalar below 256).
    static func latin1(_ string: String) -> [UInt8] {
        string.unicodeScalars.map { UInt8($0.value) }
    }

    /// (name, value) pairs from fixture `[[name, value], ...]` arrays, as latin-1 octets.
    static func latin1Pairs(_ array: Any?) -> [[UInt8]] {
        (array as! [[String]]).map { latin1($0[0]) + [0xff, 0xfe] + latin1($0[1]) }
    }

    /// A decoded list as comparable byte arrays (name, separator, value).
    static func pairs(_ list: HPACKHeaderList) -> [[UInt8]] {
        list.map { Array($0.nameBytes) + [0xff, 0xfe] + Array($0.valueBytes) }
    }

    /// A decoded list as (name, value) strings.
    static func stringPairs(_ list: HPACKHeaderList) -> [[String]] {
        list.map { [$0.name, $0.value] }
    }

    /// Decodes `wire` bytes with `decoder`.
    static func decode(_ decoder: inout HPACKDecoder, _ wire: [UInt8]) throws(HPACKError) -> HPACKHeaderList {
        try decoder.decode(ByteBuffer(bytes: wire))
    }

    /// Bytes of everything readable in `buffer`.
    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// Whether `body` throws an `HPACKError` with `code`.
    static func throwsCode(_ code: HPACKError.Code, _ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch {
            return (error as? HPACKError)?.code == code
        }
    }
}

/// A small deterministic generator (SplitMix64) so randomized tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
