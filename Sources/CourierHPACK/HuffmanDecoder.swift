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

    /// Builds the tables from the code table by walking the code tree bit by bit, once. It runs on the
    /// first HPACK decode of a process, so it works on flat arrays without an allocation per entry.
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

        // Per state, the 256 octets are the leaves of a depth-8 walk: each (node, emitted so far) pair at
        // depth d is extended by both bits, so a state costs 510 steps rather than 256 × 8.
        var next = [UInt8](repeating: 0, count: 256 * 256)
        var emissions = [UInt32](repeating: 0, count: 256 * 256)
        children.withUnsafeBufferPointer { children in
            isLeaf.withUnsafeBufferPointer { isLeaf in
                next.withUnsafeMutableBufferPointer { next in
                    emissions.withUnsafeMutableBufferPointer { emissions in
                        func walk(state: Int, node: Int, emission: UInt32, emitted: UInt32, failed: Bool, bits: Int, prefix: Int) {
                            if bits == 8 {
                                let slot = state << 8 | prefix
                                next[slot] = failed ? 0 : UInt8(node)
                                emissions[slot] = failed ? failBit : emission | emitted << 16
                                return
                            }
                            for bit in 0..<2 {
                                let child = node << 1 | bit
                                if isLeaf[child] {
                                    let symbol = Int(children[child])
                                    walk(state: state, node: 0,
                                         emission: emission | UInt32(symbol & 0xff) << (8 * emitted), emitted: emitted + 1,
                                         failed: failed || symbol == HuffmanCodeTable.endOfString,
                                         bits: bits + 1, prefix: prefix << 1 | bit)
                                } else {
                                    walk(state: state, node: Int(children[child]), emission: emission, emitted: emitted,
                                         failed: failed, bits: bits + 1, prefix: prefix << 1 | bit)
                                }
                            }
                        }
                        for state in 0..<256 {
                            walk(state: state, node: state, emission: 0, emitted: 0, failed: false, bits: 0, prefix: 0)
                        }
                    }
                }
            }
        }
        return (next, emissions, accepting)
    }
}
