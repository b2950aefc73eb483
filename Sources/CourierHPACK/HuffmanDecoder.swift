/// Decodes HPACK Huffman strings (RFC 7541 §5.2) one input octet at a time with a state machine.
///
/// The states are the 256 internal nodes of the code tree (root = 0). For each state and input
/// octet, the tables say which state follows (`nextStates`, one octet) and which symbols were
/// completed on the way (`emissions`: 0, 1 or 2 symbols, since codes are at least 5 bits long, and
/// whether the octet ran into EOS). Decoding is one step per input octet and no per-bit work; the
/// only serial dependency is the 64 KiB next-state table, whose hot rows stay in L1, while the
/// emission loads run in parallel. Both tables (256 × 256 entries) are derived once per process from
/// `HuffmanCodeTable`, the generated copy of RFC 7541 Appendix B.
///
/// Padding rules: after the last octet the machine must sit on a node reached from the root by at
/// most 7 one-bits (a strict prefix of EOS); anything else, and any EOS, is an error.
enum HuffmanDecoder {
    /// Emission layout: bits 0–7 first symbol, 8–15 second symbol, 16–17 number of symbols,
    /// bit 18 "ran into EOS" (invalid).
    static let failBit: UInt32 = 1 << 18

    /// `nextStates[state << 8 | octet]`: the state after reading `octet` in `state`.
    static let nextStates: [UInt8] = tables.next
    /// `emissions[state << 8 | octet]`: the symbols completed while reading it (layout above).
    static let emissions: [UInt32] = tables.emissions
    /// Per state: whether a string may end there (at most 7 one-bits below the root, a prefix of EOS).
    static let accepting: [Bool] = tables.accepting

    private static let tables = buildTables()

    /// Upper bound on the decoded length of `count` Huffman octets, plus the one spare octet the
    /// decoder may scribble past the end (codes are at least 5 bits, so at most 8/5 symbols per octet).
    @inline(__always)
    static func outputCapacity(forEncodedLength count: Int) -> Int { count * 8 / 5 + 2 }

    /// Decodes `count` octets at `input` into `output`, which must hold `outputCapacity(count)`
    /// octets. Returns the decoded length, or nil if the string is not valid Huffman.
    @inline(__always)
    static func decode(_ input: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int? {
        nextStates.withUnsafeBufferPointer { next in
            emissions.withUnsafeBufferPointer { emissions in
                let next = next.baseAddress!
                let emissions = emissions.baseAddress!
                var state = 0
                var written = 0
                var failed: UInt32 = 0
                var index = 0
                while index < count {
                    let slot = state &<< 8 | Int(input[index])
                    let emission = emissions[slot]
                    state = Int(next[slot])
                    output[written] = UInt8(truncatingIfNeeded: emission)
                    output[written &+ 1] = UInt8(truncatingIfNeeded: emission &>> 8)
                    written &+= Int((emission &>> 16) & 3)
                    failed |= emission
                    index &+= 1
                }
                return failed & failBit == 0 && accepting[state] ? written : nil
            }
        }
    }

    /// Builds the tables from the code table by walking the code tree bit by bit, once.
    static func buildTables() -> (next: [UInt8], emissions: [UInt32], accepting: [Bool]) {
        // Tree: children[node][bit] >= 0 is an internal node, < 0 is leaf -(symbol + 1).
        var children: [[Int]] = [[0, 0]]
        var depth = [0]
        var onesOnly = [true]
        for symbol in 0..<HuffmanCodeTable.symbolCount {
            let code = HuffmanCodeTable.codes[symbol]
            let length = Int(HuffmanCodeTable.lengths[symbol])
            var node = 0
            for position in stride(from: length - 1, through: 0, by: -1) {
                let bit = Int(code >> UInt32(position) & 1)
                if position == 0 {
                    children[node][bit] = -(symbol + 1)
                } else {
                    if children[node][bit] <= 0 {
                        children.append([0, 0])
                        depth.append(depth[node] + 1)
                        onesOnly.append(onesOnly[node] && bit == 1)
                        children[node][bit] = children.count - 1
                    }
                    node = children[node][bit]
                }
            }
        }
        precondition(children.count == 256, "the HPACK code tree has 256 internal nodes")
        // A state may end a string when it is at most 7 one-bits below the root (a prefix of EOS).
        let accepting = (0..<256).map { onesOnly[$0] && depth[$0] <= 7 }

        var next = [UInt8](repeating: 0, count: 256 * 256)
        var emissions = [UInt32](repeating: 0, count: 256 * 256)
        for state in 0..<256 {
            for octet in 0..<256 {
                var node = state
                var symbols: [UInt32] = []
                var failed = false
                for position in stride(from: 7, through: 0, by: -1) {
                    let child = children[node][octet >> position & 1]
                    if child > 0 {
                        node = child
                    } else {
                        let symbol = -child - 1
                        if symbol == HuffmanCodeTable.endOfString { failed = true }
                        symbols.append(UInt32(symbol & 0xff))
                        node = 0
                    }
                }
                var emission: UInt32 = 0
                if failed {
                    emission = failBit
                    node = 0
                } else {
                    for (slot, symbol) in symbols.enumerated() { emission |= symbol << (8 * UInt32(slot)) }
                    emission |= UInt32(symbols.count) << 16
                }
                next[state << 8 | octet] = UInt8(node)
                emissions[state << 8 | octet] = emission
            }
        }
        return (next, emissions, accepting)
    }
}
