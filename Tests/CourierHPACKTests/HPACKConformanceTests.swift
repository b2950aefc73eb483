import CourierCore
import CourierHPACK
import CourierTestSupport
import Testing

/// RFC 7541 Appendix C (every step, with the dynamic table after each block) and the hpack-test-case
/// stories of several encoders, decoded block by block and re-encoded by our encoder.
@Suite struct HPACKConformanceTests {
    @Test func appendixCExamplesDecodeWithTheirDynamicTables() throws {
        let cases = try HPACKTestSupport.json("hpack/rfc7541-appendix-c.json")["cases"] as! [[String: Any]]
        #expect(cases.count == 16)  // C.2.1–C.2.4, then C.3 to C.6 with three blocks each
        var decoder = HPACKDecoder()
        var checked = 0
        for example in cases {
            let id = example["id"] as! String
            if !(example["shares_context_with_previous"] as! Bool) {
                decoder = HPACKDecoder(maxTableSize: example["max_table_size"] as! Int)
            }
            let list = try HPACKTestSupport.decode(&decoder, HPACKTestSupport.bytes(hex: example["wire"] as! String))
            #expect(HPACKTestSupport.stringPairs(list) == example["headers"] as! [[String]], "\(id) headers")
            let table = (example["table_after"] as! [[String: Any]]).map {
                HPACKHeaderField(name: $0["name"] as! String, value: $0["value"] as! String)
            }
            #expect(decoder.dynamicTableEntries.fields == table, "\(id) table")
            #expect(decoder.dynamicTableSize == example["table_size_after"] as! Int, "\(id) table size")
            let kind: HPACKIndexing = id == "C.2.2" ? .withoutIndexing : id == "C.2.3" ? .neverIndexed : .indexable
            #expect(list.allSatisfy { $0.indexing == kind }, "\(id) indexing kinds")
            checked += 1
        }
        #expect(checked == 16)
    }

    /// The stories directories with encoded blocks (raw-data has headers only).
    static let encoders = ["go-hpack", "haskell-http2-linear-huffman", "nghttp2", "nghttp2-16384-4096",
                           "nghttp2-change-table-size", "python-hpack"]

    static func stories(_ encoder: String) -> [String] {
        Fixtures.list("hpack/hpack-test-case/\(encoder)").filter { $0.hasSuffix(".json") }
    }

    static func headers(_ testCase: [String: Any]) -> [[String]] {
        (testCase["headers"] as! [[String: String]]).map { [$0.keys.first!, $0.values.first!] }
    }

    @Test(arguments: encoders)
    func everyBlockOfEveryStoryDecodes(encoder: String) async throws {
        let stories = Self.stories(encoder)
        #expect(stories.count >= 30)
        var blocks = 0
        for story in stories {
            await Task.yield()   // seconds of CPU in all: let the suites running alongside have the threads
            let cases = try HPACKTestSupport.json("hpack/hpack-test-case/\(encoder)/\(story)")["cases"] as! [[String: Any]]
            var decoder = HPACKDecoder()
            var list = HPACKHeaderList()
            for testCase in cases {
                if let size = testCase["header_table_size"] as? Int { decoder.setMaxAllowedTableSize(size) }
                let wire = ByteBuffer(bytes: HPACKTestSupport.bytes(hex: testCase["wire"] as! String))
                try decoder.decode(wire, into: &list)
                #expect(HPACKTestSupport.stringPairs(list) == Self.headers(testCase),
                        "\(encoder)/\(story) seqno \(testCase["seqno"]!)")
                #expect(list.headerListSize == list.reduce(0) { $0 + $1.size })
                blocks += 1
            }
        }
        // Expected block counts per encoder (see Tests/Fixtures/README.md).
        let expected = ["nghttp2": 3384, "nghttp2-change-table-size": 3267, "nghttp2-16384-4096": 3267,
                        "python-hpack": 3384, "go-hpack": 3384, "haskell-http2-linear-huffman": 3384]
        #expect(blocks == expected[encoder])
    }

    /// Our encoder re-encodes every story (shared context per story) and our decoder gets the same
    /// headers back; also with the table shrunk and grown between blocks, and with Huffman off.
    @Test(arguments: [0, 1, 2])
    func ourEncoderReencodesEveryStory(variant: Int) async throws {
        var blocks = 0
        var encodedBytes = 0
        var plainBytes = 0
        for story in Self.stories("raw-data") {
            await Task.yield()   // seconds of CPU in all: let the suites running alongside have the threads
            let cases = try HPACKTestSupport.json("hpack/hpack-test-case/raw-data/\(story)")["cases"] as! [[String: Any]]
            var encoder = HPACKEncoder(useHuffman: variant != 2)
            var decoder = HPACKDecoder(maxTableSize: variant == 1 ? 8192 : 4096)
            var list = HPACKHeaderList()
            for (position, testCase) in cases.enumerated() {
                if variant == 1 {
                    // Peer settings change every few blocks: 1365, 8192 (capped at 4096 by our encoder), 0, 4096.
                    let sizes = [1365, 8192, 0, 4096]
                    if position % 7 == 3 {
                        let size = sizes[(position / 7) % sizes.count]
                        decoder.setMaxAllowedTableSize(size)
                        encoder.setPeerMaxTableSize(size)
                    }
                }
                let fields = Self.headers(testCase)
                var block = ByteBuffer()
                encoder.encode(fields.map { HPACKHeaderField(name: $0[0], value: $0[1]) }, into: &block)
                encodedBytes += block.readableBytes
                plainBytes += fields.reduce(0) { $0 + $1[0].utf8.count + $1[1].utf8.count }
                try decoder.decode(block, into: &list)
                #expect(HPACKTestSupport.stringPairs(list) == fields, "raw-data/\(story) case \(position)")
                #expect(decoder.dynamicTableCount == encoder.dynamicTableCount)
                #expect(decoder.dynamicTableSize == encoder.dynamicTableSize)
                blocks += 1
            }
        }
        #expect(blocks == 3384)
        // Compression must actually happen (the stories repeat most fields): below a third of the
        // plain size normally, below half with the table often shrunk to 0 or without Huffman.
        #expect(encodedBytes * (variant == 0 ? 3 : 2) < plainBytes, "encoded \(encodedBytes) of \(plainBytes) octets")
    }
}
