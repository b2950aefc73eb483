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

    /// Builds the tables from the code table, once: it runs on the first HPACK decode of a process, so it works on
    /// flat arrays without an allocation per entry.
    static func buildTables() -> (next: [UInt8], emissions: [UInt32], accepting: [Bool]) {
        // Tree: slot `node << 1 | bit` holds a symbol where `isLeaf` is set, else the internal node it leads to
        // (0: none yet; the root is never a child).
        var children = [Int32](repeating: 0, count: 2 * 256)
        var isLeaf = [Bool](repeating: false, count: 2 * 256)
        var depth = [Int](repeating: 0, count: 256)
        var onesOnly = [Bool](repeating: true, count: 256)
        var nodes = 1
        for symbol in 0..<HuffmanCodeTable.symbolCount {
            let code = HuffmanCodeTable.codes[symbol]
            let length = Int(HuffmanCodeTable.lengths[symbol])
            var node = 0
            for position in stride(from: length - 1, through: 0, by: -1) {
                let slot = node << 1 | Int(code >> UInt32(position) & 1)
                if position == 0 {
                    children[slot] = Int32(symbol)
                    isLeaf[slot] = true
                } else {
                    if !isLeaf[slot] && children[slot] == 0 {
                        precondition(nodes < 256, "the HPACK code tree has 256 internal nodes")
                        depth[nodes] = depth[node] + 1
                        onesOnly[nodes] = onesOnly[node] && slot & 1 == 1
                        children[slot] = Int32(nodes)
                        nodes += 1
                    }
                    node = Int(children[slot])
                }
            }
        }
        precondition(nodes == 256, "the HPACK code tree has 256 internal nodes")
        // A state may end a string when it is at most 7 one-bits below the root (a prefix of EOS).
        let accepting = (0..<256).map { onesOnly[$0] && depth[$0] <= 7 }

        // Per state and nibble: four steps down the tree, completing at most one symbol (codes are at least 5
        // bits). An octet is two nibbles, so the tables take 4,096 short walks and 65,536 joins: 2.4 M instructions
        // where walking every octet bit by bit took 6.2 M (1.5 ms of each process's first HPACK decode).
        struct NibbleStep {
            var next = 0  // the state the four bits lead to
            var symbol: UInt32 = 0  // the symbol they complete, if any
            var count: UInt32 = 0  // 0 or 1
            var failed = false  // the symbol is EOS
        }
        var steps = [NibbleStep](repeating: NibbleStep(), count: 256 * 16)
        for state in 0..<256 {
            for nibble in 0..<16 {
                var step = NibbleStep()
                var node = state
                for shift in stride(from: 3, through: 0, by: -1) {
                    let child = node << 1 | nibble >> shift & 1
                    if isLeaf[child] {
                        let symbol = Int(children[child])
                        step.symbol = UInt32(symbol & 0xff)
                        step.count = 1
                        step.failed = symbol == HuffmanCodeTable.endOfString
                        node = 0
                    } else {
                        node = Int(children[child])
                    }
                }
                step.next = node
                steps[state << 4 | nibble] = step
            }
        }
        // The joins, over raw buffers (through the arrays' accessors each write checked uniqueness and bounds).
        var next = [UInt8](repeating: 0, count: 256 * 256)
        var emissions = [UInt32](repeating: 0, count: 256 * 256)
        next.withUnsafeMutableBufferPointer { next in
            emissions.withUnsafeMutableBufferPointer { emissions in
                steps.withUnsafeBufferPointer { steps in
                    for high in 0..<256 * 16 {  // state << 4 | the octet's high nibble
                        let first = steps[high]
                        let shift = 8 &* first.count
                        for nibble in 0..<16 {
                            let second = steps[first.next &<< 4 | nibble]
                            let slot = high &<< 4 | nibble
                            next[slot] = UInt8(truncatingIfNeeded: second.next)
                            // After EOS the state does not matter: the string is rejected.
                            emissions[slot] = first.failed || second.failed
                                ? failBit : (first.symbol | first.count &<< 16) &+ (second.symbol &<< shift | second.count &<< 16)
                        }
                    }
                }
            }
        }
        return (next, emissions, accepting)
    }
}
