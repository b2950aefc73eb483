import CourierCore
@testable import CourierHPACK
import Testing

/// Integer and string primitives, the Huffman code and the static table, checked entry by entry.
@Suite struct HPACKPrimitiveTests {
    @Test func integerExamplesOfAppendixC1() throws {
        let fixture = try HPACKTestSupport.json("hpack/rfc7541-appendix-c.json")
        let examples = fixture["integer_examples"] as! [[String: Any]]
        #expect(examples.count == 3)
        for example in examples {
            let value = example["value"] as! Int
            let prefixBits = example["prefix_bits"] as! Int
            let wire = HPACKTestSupport.bytes(hex: example["encoded"] as! String)
            let mask = UInt8(truncatingIfNeeded: (1 << prefixBits) - 1)
            var out = [UInt8](repeating: 0, count: 8)
            let written = HPACKInteger.encode(value, prefixMask: mask, flags: 0, into: &out)
            #expect(Array(out.prefix(written)) == wire, "encode \(example["id"]!)")
            #expect(HPACKInteger.encodedLength(value, prefixMask: mask) == wire.count)
            var position = 0
            let decoded = try wire.withUnsafeBufferPointer { bytes throws(HPACKError) in
                try HPACKInteger.decode(bytes.baseAddress!, count: bytes.count, position: &position, prefixMask: mask)
            }
            #expect(decoded == value && position == wire.count, "decode \(example["id"]!)")
        }
    }

    @Test(arguments: [1, 4, 5, 6, 7, 8])
    func integersRoundTripAcrossPrefixesAndBoundaries(prefixBits: Int) throws {
        let mask = UInt8(truncatingIfNeeded: (1 << prefixBits) - 1)
        var values: [Int] = [0, 1, Int(mask) - 1, Int(mask), Int(mask) + 1, 127, 128, 255, 256, 1337, 16383, 16384,
                             1 << 21, (1 << 28) - 1, Int(UInt32.max) - 1, Int(UInt32.max)]
        values = values.filter { $0 >= 0 }
        for value in values {
            var out = [UInt8](repeating: 0, count: 8)
            let written = HPACKInteger.encode(value, prefixMask: mask, flags: ~mask, into: &out)
            #expect(written <= 6)
            var position = 0
            let decoded = try out.withUnsafeBufferPointer { bytes throws(HPACKError) in
                try HPACKInteger.decode(bytes.baseAddress!, count: written, position: &position, prefixMask: mask)
            }
            #expect(decoded == value && position == written)
        }
    }

    @Test func integersBeyondTheLimitOrCutShortAreErrors() {
        func decode(_ bytes: [UInt8]) throws -> Int {
            var position = 0
            return try bytes.withUnsafeBufferPointer { bytes throws(HPACKError) in
                try HPACKInteger.decode(bytes.baseAddress!, count: bytes.count, position: &position, prefixMask: 0x1f)
            }
        }
        // 2^32 with a 5-bit prefix: 31 + (2^32 - 31).
        var over = [UInt8](repeating: 0, count: 8)
        let written = HPACKInteger.encode(Int(UInt32.max) + 1, prefixMask: 0x1f, flags: 0, into: &over)
        #expect(HPACKTestSupport.throwsCode(.integerOverflow) { _ = try decode(Array(over.prefix(written))) })
        #expect(HPACKTestSupport.throwsCode(.integerOverflow) { _ = try decode([0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) })
        #expect(HPACKTestSupport.throwsCode(.truncated) { _ = try decode([0x1f]) })
        #expect(HPACKTestSupport.throwsCode(.truncated) { _ = try decode([0x1f, 0xff, 0xff]) })
    }

    @Test func huffmanCodeMatchesAppendixBEntryByEntry() throws {
        let fixture = try HPACKTestSupport.json("hpack/huffman-table.json")
        let entries = fixture["entries"] as! [[String: Any]]
        #expect(entries.count == 257)
        for entry in entries {
            let symbol = entry["sym"] as! Int
            let code = UInt32(entry["code"] as! String, radix: 16)!
            let length = entry["len"] as! Int
            #expect(HuffmanCodeTable.codes[symbol] == code, "code of \(symbol)")
            #expect(Int(HuffmanCodeTable.lengths[symbol]) == length, "length of \(symbol)")
            let bits = entry["bits"] as! String
            #expect(String(code, radix: 2).count <= length && bits.count == length)
        }
    }

    @Test func everyOctetEncodesToItsCodeAndDecodesBack() throws {
        let entries = try HPACKTestSupport.json("hpack/huffman-table.json")["entries"] as! [[String: Any]]
        for octet in 0..<256 {
            // The octet alone: its code's bits, then ones to the octet boundary.
            let bits = entries[octet]["bits"] as! String
            let padded = bits + String(repeating: "1", count: (8 - bits.count % 8) % 8)
            var expected: [UInt8] = []
            var index = padded.startIndex
            while index < padded.endIndex {
                let next = padded.index(index, offsetBy: 8)
                expected.append(UInt8(padded[index..<next], radix: 2)!)
                index = next
            }
            let input = [UInt8(octet)]
            var out = [UInt8](repeating: 0, count: 16)
            #expect(HuffmanEncoder.encodedLength(input, count: 1) == expected.count)
            let written = HuffmanEncoder.encode(input, count: 1, into: &out)
            #expect(Array(out.prefix(written)) == expected, "octet \(octet)")
            var decoded = [UInt8](repeating: 0, count: HuffmanDecoder.outputCapacity(forEncodedLength: written))
            #expect(HuffmanDecoder.decode(out, count: written, into: &decoded) == 1)
            #expect(decoded[0] == UInt8(octet))
        }
    }

    @Test func huffmanRoundTripsRandomStrings() {
        var random = SeededGenerator(seed: 7541)
        for round in 0..<2000 {
            let length = Int.random(in: 0...(round % 10 == 0 ? 600 : 40), using: &random)
            let alphabet: ClosedRange<UInt8> = round % 3 == 0 ? 0...255 : 32...126
            let input = (0..<length).map { _ in UInt8.random(in: alphabet, using: &random) }
            let encodedLength = HuffmanEncoder.encodedLength(input, count: input.count)
            var encoded = [UInt8](repeating: 0, count: encodedLength + 8)
            let written = HuffmanEncoder.encode(input, count: input.count, into: &encoded)
            #expect(written == encodedLength)
            var decoded = [UInt8](repeating: 0, count: HuffmanDecoder.outputCapacity(forEncodedLength: written))
            let count = HuffmanDecoder.decode(encoded, count: written, into: &decoded)
            #expect(count == input.count)
            #expect(Array(decoded.prefix(input.count)) == input)
        }
    }

    /// The table decoder against a bit-at-a-time walk of Appendix B's codes: every input of one and two octets
    /// (each table entry reached from the root and from every state one octet leads to) and random longer ones.
    @Test func huffmanDecoderAgreesWithABitSerialDecoder() {
        var symbols: [UInt64: Int] = [:]
        for symbol in 0..<HuffmanCodeTable.symbolCount {
            symbols[UInt64(HuffmanCodeTable.lengths[symbol]) << 32 | UInt64(HuffmanCodeTable.codes[symbol])] = symbol
        }
        func bitSerial(_ bytes: [UInt8]) -> [UInt8]? {
            var decoded: [UInt8] = []
            var code: UInt64 = 0
            var length: UInt64 = 0
            for byte in bytes {
                for shift in stride(from: 7, through: 0, by: -1) {
                    code = code << 1 | UInt64(byte >> UInt8(shift) & 1)
                    length += 1
                    guard let symbol = symbols[length << 32 | code] else { continue }
                    if symbol == HuffmanCodeTable.endOfString { return nil }
                    decoded.append(UInt8(symbol))
                    code = 0
                    length = 0
                }
            }
            // What is left must be padding: at most 7 bits, all ones (a prefix of EOS).
            return length <= 7 && code == (1 << length) - 1 ? decoded : nil
        }
        func table(_ bytes: [UInt8]) -> [UInt8]? {
            var out = [UInt8](repeating: 0, count: HuffmanDecoder.outputCapacity(forEncodedLength: bytes.count))
            return HuffmanDecoder.decode(bytes, count: bytes.count, into: &out).map { Array(out.prefix($0)) }
        }
        var disagreements = 0
        for first in 0..<256 {
            if table([UInt8(first)]) != bitSerial([UInt8(first)]) { disagreements += 1 }
            for second in 0..<256 where table([UInt8(first), UInt8(second)]) != bitSerial([UInt8(first), UInt8(second)]) {
                disagreements += 1
            }
        }
        var random = SeededGenerator(seed: 7541)
        var valid = 0
        for round in 0..<20_000 {
            var input: [UInt8]
            if round % 2 == 0 {
                // Mostly invalid: random octets.
                input = (0..<Int.random(in: 3...12, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                // Valid encodings, with a random bit of the last octet flipped half the time.
                let plain = (0..<Int.random(in: 1...12, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                input = [UInt8](repeating: 0, count: HuffmanEncoder.encodedLength(plain, count: plain.count) + 8)
                input.removeLast(input.count - HuffmanEncoder.encode(plain, count: plain.count, into: &input))
                if Bool.random(using: &random) { input[input.count - 1] ^= 1 << UInt8.random(in: 0...7, using: &random) }
            }
            let expected = bitSerial(input)
            if expected != nil { valid += 1 }
            if table(input) != expected { disagreements += 1 }
        }
        #expect(disagreements == 0)
        #expect(valid > 5_000 && valid < 20_000, "both valid and invalid inputs: \(valid) valid")
    }

    @Test func huffmanRejectsEOSAndBadPadding() {
        func decode(_ bytes: [UInt8]) -> Int? {
            var out = [UInt8](repeating: 0, count: HuffmanDecoder.outputCapacity(forEncodedLength: bytes.count))
            return HuffmanDecoder.decode(bytes, count: bytes.count, into: &out)
        }
        #expect(decode([]) == 0)
        #expect(decode([0x1f]) == 1)  // 'a' (00011) + 111
        #expect(decode([0x18]) == nil)  // 'a' + zero padding
        #expect(decode([0x1f, 0xff]) == nil)  // 'a' + 11 bits of padding
        #expect(decode([0xff]) == nil)  // 8 one-bits: padding longer than 7 bits
        #expect(decode([0xfe]) == nil)  // 7 ones then a zero: not a prefix of EOS
        #expect(decode([0xff, 0xff, 0xff, 0xfc]) == nil)  // EOS (30 ones) + 00
        #expect(decode([0xff, 0xff, 0xff, 0xff]) == nil)  // EOS + 11
    }

    @Test func staticTableMatchesAppendixA() throws {
        let entries = try HPACKTestSupport.json("hpack/static-table.json")["entries"] as! [[String: Any]]
        #expect(entries.count == StaticTable.count)
        let table = StaticTable.shared
        for entry in entries {
            let index = entry["index"] as! Int
            let name = Array((entry["name"] as! String).utf8)
            let value = Array((entry["value"] as! String).utf8)
            let start = Int(table.starts[index])
            #expect(Array(UnsafeBufferPointer(start: table.bytes + start, count: Int(table.nameLengths[index]))) == name)
            #expect(Array(UnsafeBufferPointer(start: table.bytes + start + name.count,
                                              count: Int(table.valueLengths[index]))) == value)
            // The encoder's hash lookup finds every entry exactly, and the first index of its name.
            let found = table.find(name: name, nameLength: name.count, hash: NameHash.hash(name, count: name.count),
                                   value: value, valueLength: value.count)
            let firstWithName = entries.first { ($0["name"] as! String) == (entry["name"] as! String) }!["index"] as! Int
            #expect(found.full == index && found.name == firstWithName, "static entry \(index)")
        }
        let unknown = Array("x-unknown".utf8)
        #expect(table.find(name: unknown, nameLength: unknown.count, hash: NameHash.hash(unknown, count: unknown.count),
                           value: unknown, valueLength: 0) == (0, 0))
    }
}
