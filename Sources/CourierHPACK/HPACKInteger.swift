/// The HPACK integer representation (RFC 7541 §5.1): an N-bit prefix in the first octet, then
/// 7 bits per continuation octet, least significant group first.
enum HPACKInteger {
    /// The largest value this codec reads: 2^32 − 1 covers every size, length and index HTTP/2
    /// can express (SETTINGS values are 32-bit); longer integers are decoding errors (RFC 7541 §5.1).
    static let maximum = Int(UInt32.max)

    /// Decodes the integer whose first octet is at `position`, with a prefix of the low bits
    /// selected by `prefixMask` (2^N − 1), and advances `position` past it.
    @inline(__always)
    static func decode(_ bytes: UnsafePointer<UInt8>, count: Int, position: inout Int,
                       prefixMask: UInt8) throws(HPACKError) -> Int {
        let value = Int(bytes[position] & prefixMask)
        position &+= 1
        if _fastPath(value < Int(prefixMask)) { return value }
        return try decodeContinuation(bytes, count: count, position: &position, prefix: value)
    }

    @usableFromInline
    static func decodeContinuation(_ bytes: UnsafePointer<UInt8>, count: Int, position: inout Int,
                                   prefix: Int) throws(HPACKError) -> Int {
        let start = position - 1
        var value = prefix
        var shift = 0
        while true {
            guard position < count else { throw HPACKError(.truncated, offset: start) }
            let octet = bytes[position]
            position += 1
            // Five continuation octets carry 35 bits, enough for any value up to 2^32 − 1 plus a prefix.
            guard shift <= 28 else { throw HPACKError(.integerOverflow, offset: start) }
            value += Int(octet & 0x7f) << shift
            guard value <= maximum else { throw HPACKError(.integerOverflow, offset: start, value: value) }
            if octet & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Writes `value` with an N-bit prefix (`prefixMask` = 2^N − 1), the first octet's high bits
    /// set to `flags`, and returns the number of octets written (at most 6 for 32-bit values).
    @inline(__always)
    static func encode(_ value: Int, prefixMask: UInt8, flags: UInt8, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < Int(prefixMask) {
            out[0] = flags | UInt8(truncatingIfNeeded: value)
            return 1
        }
        out[0] = flags | prefixMask
        var rest = value - Int(prefixMask)
        var written = 1
        while rest >= 0x80 {
            out[written] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            written += 1
        }
        out[written] = UInt8(truncatingIfNeeded: rest)
        return written + 1
    }

    /// Octets `encode` would write (for sizing output).
    static func encodedLength(_ value: Int, prefixMask: UInt8) -> Int {
        if value < Int(prefixMask) { return 1 }
        var rest = value - Int(prefixMask)
        var length = 2
        while rest >= 0x80 {
            rest >>= 7
            length += 1
        }
        return length
    }
}
