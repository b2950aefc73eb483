/// Decodes HPACK Huffman strings (RFC 7541 §5.2) one input octet at a time with a state machine.
///
/// The states are the 256 internal nodes of the code tree (root = 0). For each state and input
/// octet, one 32-bit transition says which state follows, which symbols (0, 1 or 2: codes are at
/// least 5 bits long) were completed on the way, and whether the octet ran into EOS. So decoding is
/// one table load per input octet and no per-bit work. The table (256 × 256 entries, 256 KiB) is
/// derived once per process from `HuffmanCodeTable`, the generated copy of RFC 7541 Appendix B.
///
/// Padding rules: after the last octet the machine must sit on a node reached from the root by at
/// most 7 one-bits (a strict prefix of EOS); anything else, and any EOS, is an error.
enum HuffmanDecoder {
    /// Transition layout: bits 0–7 next state, 8–15 first symbol, 16–23 second symbol, 24–25 number
    /// of symbols, bit 26 "hit EOS" (invalid), bit 27 "next state may end the string".
    static let failBit: UInt32 = 1 << 26
    static let acceptBit: UInt32 = 1 << 27

    /// `transitions[state << 8 | octet]`.
    static let transitions: [UInt32] = buildTransitions()

    /// Upper bound on the decoded length of `count` Huffman octets, plus the one spare octet the
    /// decoder may scribble past the end (codes are at least 5 bits, so at most 8/5 symbols per octet).
    @inline(__always)
    static func outputCapacity(forEncodedLength count: Int) -> Int { count * 8 / 5 + 2 }

    /// Decodes `count` octets at `input` into `output`, which must hold `outputCapacity(count)`
    /// octets. Returns the decoded length, or nil if the string is not valid Huffman.
    @inline(__always)
    static func decode(_ input: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int? {
        transitions.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            var state: UInt32 = 0
            var written = 0
            var flags = acceptBit
            var index = 0
            while index < count {
                let entry = table[Int(state &<< 8 | UInt32(input[index]))]
                output[written] = UInt8(truncatingIfNeeded: entry &>> 8)
                output[written &+ 1] = UInt8(truncatingIfNeeded: entry &>> 16)
                written &+= Int((entry &>> 24) & 3)
                state = entry & 0xff
                flags = (flags & failBit) | entry
                index &+= 1
            }
            return flags & (failBit | acceptBit) == acceptBit ? written : nil
        }
    }

    /// Builds the transition table from the code table by walking the code tree bit by bit, once.
    static func buildTransitions() -> [UInt32] {
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

        var table = [UInt32](repeating: 0, count: 256 * 256)
        for state in 0..<256 {
            for octet in 0..<256 {
                var node = state
                var symbols: [UInt32] = []
                var failed = false
                for position in stride(from: 7, through: 0, by: -1) {
                    let next = children[node][octet >> position & 1]
                    if next > 0 {
                        node = next
                    } else {
                        let symbol = -next - 1
                        if symbol == HuffmanCodeTable.endOfString { failed = true }
                        symbols.append(UInt32(symbol & 0xff))
                        node = 0
                    }
                }
                var entry = UInt32(node)
                if failed {
                    entry = failBit
                } else {
                    for (slot, symbol) in symbols.enumerated() { entry |= symbol << (8 + 8 * UInt32(slot)) }
                    entry |= UInt32(symbols.count) << 24
                    if accepting[node] { entry |= acceptBit }
                }
                table[state << 8 | octet] = entry
            }
        }
        return table
    }
}
