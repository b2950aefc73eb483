/// Encodes strings with the HPACK Huffman code (RFC 7541 §5.2), 64 bits at a time.
enum HuffmanEncoder {
    /// Bit length of each octet's code, for sizing (`encodedLength`).
    static let lengths: [UInt8] = Array(HuffmanCodeTable.lengths.prefix(256))
    /// Each octet's code right-aligned in the low `lengths[octet]` bits.
    static let codes: [UInt32] = Array(HuffmanCodeTable.codes.prefix(256))

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
        codes.withUnsafeBufferPointer { codes in
            lengths.withUnsafeBufferPointer { lengths in
                var accumulator: UInt64 = 0  // pending bits, right-aligned
                var pending: UInt64 = 0  // number of pending bits (< 32 between symbols)
                var written = 0
                for index in 0..<count {
                    let octet = Int(input[index])
                    let length = UInt64(lengths[octet])
                    accumulator = accumulator &<< length | UInt64(codes[octet])
                    pending &+= length
                    if pending >= 32 {
                        pending &-= 32
                        let word = UInt32(truncatingIfNeeded: accumulator &>> pending)
                        UnsafeMutableRawPointer(output + written).storeBytes(of: word.bigEndian, as: UInt32.self)
                        written &+= 4
                    }
                }
                while pending >= 8 {
                    pending &-= 8
                    output[written] = UInt8(truncatingIfNeeded: accumulator &>> pending)
                    written &+= 1
                }
                if pending > 0 {
                    let padding = 8 - pending
                    output[written] = UInt8(truncatingIfNeeded: accumulator &<< padding | (1 &<< padding &- 1))
                    written &+= 1
                }
                return written
            }
        }
    }
}
