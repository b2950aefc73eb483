import CourierCore
import CourierHPACK
import Testing

/// `decoder-edge-cases.json`: every case, every sequence and every bomb.
@Suite struct HPACKEdgeCaseTests {
    static func fixture() throws -> [String: Any] { try HPACKTestSupport.json("hpack/decoder-edge-cases.json") }

    @Test func everyCaseDecodesOrFailsAsListed() throws {
        let cases = try Self.fixture()["cases"] as! [[String: Any]]
        #expect(cases.count == 32)
        for testCase in cases {
            let name = testCase["name"] as! String
            let expect = testCase["expect"] as! [String: Any]
            var decoder = HPACKDecoder(maxTableSize: testCase["settings_header_table_size"] as! Int)
            let wire = HPACKTestSupport.bytes(hex: testCase["wire"] as! String)
            if expect["error"] != nil {
                do throws(HPACKError) {
                    let list = try HPACKTestSupport.decode(&decoder, wire)
                    Issue.record("\(name): decoded \(list) instead of failing")
                } catch {
                    #expect(error.isCompressionError, "\(name): \(error)")
                }
                continue
            }
            let list = try HPACKTestSupport.decode(&decoder, wire)
            #expect(HPACKTestSupport.pairs(list) == HPACKTestSupport.latin1Pairs(expect["headers"]), "\(name)")
            #expect(HPACKTestSupport.pairs(decoder.dynamicTableEntries) == HPACKTestSupport.latin1Pairs(expect["table_after"]),
                    "\(name) table")
            #expect(decoder.dynamicTableSize == expect["table_size_after"] as! Int, "\(name) table size")
            #expect(decoder.dynamicTableMaxSize == expect["max_size_after"] as! Int, "\(name) max size")
        }
    }

    @Test func errorCasesReportTheRightCode() throws {
        let cases = try Self.fixture()["cases"] as! [[String: Any]]
        let expected: [String: HPACKError.Code] = [
            "indexed field with index 0": .invalidIndex,
            "indexed field beyond static table with empty dynamic table": .invalidIndex,
            "huffman string containing EOS symbol": .invalidHuffman,
            "dynamic table size update above SETTINGS_HEADER_TABLE_SIZE": .tableSizeAboveLimit,
            "dynamic table size update after a header field": .tableSizeUpdateNotFirst,
            "string length longer than remaining data": .truncated,
            "truncated integer (continuation byte missing)": .truncated,
            "integer overflow in index (very long continuation)": .integerOverflow,
            "integer overflow in string length": .integerOverflow,
        ]
        for (name, code) in expected {
            let testCase = cases.first { $0["name"] as! String == name }!
            var decoder = HPACKDecoder(maxTableSize: testCase["settings_header_table_size"] as! Int)
            let wire = HPACKTestSupport.bytes(hex: testCase["wire"] as! String)
            #expect(HPACKTestSupport.throwsCode(code) { _ = try HPACKTestSupport.decode(&decoder, wire) }, "\(name)")
        }
    }

    @Test func everySequenceDecodesInOrder() throws {
        let sequences = try Self.fixture()["sequences"] as! [[String: Any]]
        #expect(sequences.count == 2)
        for sequence in sequences {
            let name = sequence["name"] as! String
            var decoder = HPACKDecoder(maxTableSize: sequence["settings_header_table_size"] as! Int)
            for (position, block) in (sequence["blocks"] as! [[String: Any]]).enumerated() {
                let wire = HPACKTestSupport.bytes(hex: block["wire"] as! String)
                if block["error"] != nil {
                    #expect(HPACKTestSupport.throwsCode(.invalidIndex) { _ = try HPACKTestSupport.decode(&decoder, wire) },
                            "\(name) block \(position)")
                    continue
                }
                let list = try HPACKTestSupport.decode(&decoder, wire)
                #expect(HPACKTestSupport.pairs(list) == HPACKTestSupport.latin1Pairs(block["headers"]),
                        "\(name) block \(position)")
                #expect(decoder.dynamicTableSize == block["table_size_after"] as! Int, "\(name) block \(position)")
            }
        }
    }

    /// Each bomb is valid HPACK: with a limit above its size it decodes fully (and the size is counted
    /// the RFC way); with the default 64 KiB limit it is refused, without materialising the list.
    @Test func bombsAreStoppedByTheHeaderListLimit() throws {
        let bombs = try Self.fixture()["bomb"] as! [[String: Any]]
        #expect(bombs.count == 3)
        for bomb in bombs {
            let name = bomb["name"] as! String
            let expect = bomb["expect"] as! [String: Any]
            let wire = HPACKTestSupport.bytes(hex: bomb["wire"] as! String)
            #expect(wire.count == expect["wire_length"] as! Int)
            let decodedSize = expect["decoded_header_list_size"] as! Int

            var generous = HPACKDecoder(maxHeaderListSize: decodedSize, maxTableSize: bomb["settings_header_table_size"] as! Int)
            let list = try HPACKTestSupport.decode(&generous, wire)
            #expect(list.count == expect["decoded_field_count"] as! Int, "\(name)")
            #expect(list.headerListSize == decodedSize, "\(name)")

            var strict = HPACKDecoder()
            var reused = HPACKHeaderList()
            do throws(HPACKError) {
                try strict.decode(ByteBuffer(bytes: wire), into: &reused)
                Issue.record("\(name): not refused")
            } catch {
                #expect(error.code == .headerListTooLarge && !error.isCompressionError, "\(name): \(error)")
                #expect(error.limit == HPACKDecoder.defaultMaxHeaderListSize)
            }
            // Nothing past the limit was stored, and the table is the same as after a full decode.
            #expect(reused.headerListSize <= HPACKDecoder.defaultMaxHeaderListSize)
            #expect(reused.bytes.capacity <= 4 * HPACKDecoder.defaultMaxHeaderListSize, "\(name)")
            #expect(strict.dynamicTableEntries == generous.dynamicTableEntries)
            // One byte under the exact size is refused too.
            var tight = HPACKDecoder(maxHeaderListSize: decodedSize - 1, maxTableSize: 4096)
            #expect(HPACKTestSupport.throwsCode(.headerListTooLarge) { _ = try HPACKTestSupport.decode(&tight, wire) })
        }
    }
}
