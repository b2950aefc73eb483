/// A fast hash of a header name, for the encoder's lookups in the static and dynamic tables.
/// Eight octets per multiply; not cryptographic (the tables are small and every hit is confirmed
/// by comparing bytes, so collisions cost time, never correctness).
enum NameHash {
    @inline(__always)
    static func hash(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt32 {
        let multiplier: UInt64 = 0x9e37_79b9_7f4a_7c15
        var state = UInt64(truncatingIfNeeded: count) &* multiplier
        var index = 0
        let raw = UnsafeRawPointer(bytes)
        while index &+ 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            state = (state ^ word) &* multiplier
            state ^= state &>> 29
            index &+= 8
        }
        if index < count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while index < count {
                word |= UInt64(bytes[index]) &<< shift
                shift &+= 8
                index &+= 1
            }
            state = (state ^ word) &* multiplier
            state ^= state &>> 29
        }
        state = state &* multiplier
        return UInt32(truncatingIfNeeded: state &>> 32)
    }
}
