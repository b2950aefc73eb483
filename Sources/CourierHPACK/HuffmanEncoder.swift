/// Encodes strings with the HPACK Huffman code (RFC 7541 §5.2), 64 bits at a time.
enum HuffmanEncoder {
    /// Bit length of each octet's code, for sizing (`encodedLength`).
    static let lengths: [UInt8] = Array(HuffmanCodeTable.lengths.prefix(256))
    /// Each octet's code (right-aligned) shifted left by 8, with its bit length in the low 8 bits:
    /// one load per input octet.
    static let codesAndLengths: [UInt64] = (0..<256).map {
        UInt64(HuffmanCodeTable.codes[$0]) << 8 | UInt64(HuffmanCodeTable.lengths[$0])
    }

    /// The Huffman-encoded length of `count` octets at `input`, in octets (padding included).
    @inline(__always)
    static func encodedLength(_ input: UnsafePointer<UInt8>, count: Int) -> Int {
        lengths.withUnsafeBufferPointer { lengths in
            var bits = 0
            for index in 0..<count { bits &+= Int(lengths[Int(input[index])]) }
            return (bits + 7) >> 3
        }
    }

    /// Encodes `count` octets at `input` into `output` (which must hold `encodedLength` octets plus
    /// 8 spare) and returns the number of octets written. Padding is the high bits of EOS (all ones).
    @inline(__always)
    static func encode(_ input: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int {
        codesAndLengths.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            var accumulator: UInt64 = 0  // pending bits, right-aligned (stale bits above them are ignored)
            var pending: UInt32 = 0  // number of pending bits, below 32 between octets
            var written = 0
            for index in 0..<count {
                let entry = table[Int(input[index])]
                let length = UInt32(truncatingIfNeeded: entry) & 0xff
                accumulator = accumulator &<< UInt64(length) | entry &>> 8
                pending &+= length
                if pending >= 32 {
                    pending &-= 32
                    let word = UInt32(truncatingIfNeeded: accumulator &>> UInt64(pending))
                    UnsafeMutableRawPointer(output + written).storeBytes(of: word.bigEndian, as: UInt32.self)
                    written &+= 4
                }
            }
            while pending >= 8 {
                pending &-= 8
                output[written] = UInt8(truncatingIfNeeded: accumulator &>> UInt64(pending))
                written &+= 1
            }
            if pending > 0 {
                let padding = UInt64(8 - pending)
                output[written] = UInt8(truncatingIfNeeded: accumulator &<< padding | (1 &<< padding &- 1))
                written &+= 1
            }
            return written
        }
    }
}
