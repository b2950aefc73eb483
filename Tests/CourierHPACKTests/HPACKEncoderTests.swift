import CourierCore
import CourierHPACK
import Testing

/// The encoder's choices: indexing policy, never-indexed fields, Huffman when shorter, size updates.
@Suite struct HPACKEncoderTests {
    func encode(_ encoder: inout HPACKEncoder, _ fields: [HPACKHeaderField]) -> [UInt8] {
        var buffer = ByteBuffer()
        encoder.encode(fields, into: &buffer)
        return HPACKTestSupport.bytes(buffer)
    }

    func roundTrip(_ fields: [HPACKHeaderField], encoder: inout HPACKEncoder, decoder: inout HPACKDecoder) throws -> HPACKHeaderList {
        try HPACKTestSupport.decode(&decoder, encode(&encoder, fields))
    }

    @Test func sensitiveAndMarkedFieldsAreNeverIndexed() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let fields: [HPACKHeaderField] = [
            .init(name: "authorization", value: "Bearer abc.def.ghi"),
            .init(name: "proxy-authorization", value: "Basic dXNlcjpwYXNz"),
            .init(name: "cookie", value: "session=1234"),
            .init(name: "x-api-key", value: "k-123456", indexing: .neverIndexed),
            .init(name: "x-trace", value: "t-1", indexing: .withoutIndexing),
            .init(name: "x-plain", value: "p"),
        ]
        for _ in 0..<2 {
            let list = try roundTrip(fields, encoder: &encoder, decoder: &decoder)
            #expect(list.map(\.indexing) == [.neverIndexed, .neverIndexed, .neverIndexed, .neverIndexed,
                                             .withoutIndexing, .indexable])
            #expect(list.fields.map(\.value) == fields.map(\.value))
        }
        // Only x-plain entered the table; the secrets never did.
        #expect(encoder.dynamicTableCount == 1 && decoder.dynamicTableCount == 1)
        #expect(decoder.dynamicTableEntries.fields == [HPACKHeaderField(name: "x-plain", value: "p")])
    }

    @Test func neverIndexedBeatsAnExactTableMatch() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        _ = try roundTrip([.init(name: "x-token", value: "secret")], encoder: &encoder, decoder: &decoder)
        let list = try roundTrip([.init(name: "x-token", value: "secret", indexing: .neverIndexed)],
                                 encoder: &encoder, decoder: &decoder)
        #expect(list.first?.indexing == .neverIndexed)
    }

    @Test func aRepeatedListBecomesOneOctetPerIndexableField() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let fields: [HPACKHeaderField] = [
            .init(name: ":method", value: "GET"), .init(name: ":scheme", value: "https"),
            .init(name: ":authority", value: "api.example.com"), .init(name: ":path", value: "/v1/items?page=2"),
            .init(name: "accept", value: "application/json"), .init(name: "user-agent", value: "courier/1.0"),
            .init(name: "x-custom", value: "one"),
        ]
        let first = encode(&encoder, fields)
        _ = try HPACKTestSupport.decode(&decoder, first)
        let second = encode(&encoder, fields)
        // :path is not indexed by policy: 1 octet name index + its literal value; all others 1 octet.
        let pathLiteral = second.count - 6
        #expect(pathLiteral > 1 && pathLiteral < 2 + "/v1/items?page=2".utf8.count)
        #expect(second.count < first.count / 3)
        let list = try HPACKTestSupport.decode(&decoder, second)
        #expect(list.fields.map(\.name) == fields.map(\.name) && list.fields.map(\.value) == fields.map(\.value))
        #expect(list[3].indexing == .withoutIndexing)
    }

    @Test func dynamicNamesAreReusedForNewValues() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        _ = try roundTrip([.init(name: "x-custom-header", value: "a")], encoder: &encoder, decoder: &decoder)
        let block = encode(&encoder, [.init(name: "x-custom-header", value: "b")])
        // Literal with incremental indexing, name index 62 (0x40 | 62 = 0x7e), then the value.
        #expect(block == [0x7e, 0x01, UInt8(ascii: "b")])
        #expect(try HPACKTestSupport.decode(&decoder, block).fields == [HPACKHeaderField(name: "x-custom-header", value: "b")])
    }

    @Test func huffmanOnlyWhenShorter() {
        var encoder = HPACKEncoder()
        let binary: [UInt8] = [0xff, 0xfe, 0x00, 0x01]
        var list = HPACKHeaderList()
        Array("x-bin".utf8).withUnsafeBytes { name in
            binary.withUnsafeBytes { value in list.append(name: name, value: value, indexing: .withoutIndexing) }
        }
        var buffer = ByteBuffer()
        encoder.encode(list, into: &buffer)
        let block = HPACKTestSupport.bytes(buffer)
        // 0x00 (without indexing, new name), name "x-bin" Huffman (4 octets < 5), value plain (4 octets).
        #expect(block[0] == 0x00 && block[1] == 0x84 && block[6] == 0x04 && Array(block[7...]) == binary)
        var plain = HPACKEncoder(useHuffman: false)
        #expect(encode(&plain, [.init(name: "x-a", value: "www.example.com", indexing: .withoutIndexing)])
            == [0x00, 0x03] + Array("x-a".utf8) + [0x0f] + Array("www.example.com".utf8))
    }

    @Test func largeFieldsAreNotIndexed() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let big = String(repeating: "v", count: 3100)  // 3100 + 5 + 32 > 3/4 of 4096
        let list = try roundTrip([.init(name: "x-big", value: big)], encoder: &encoder, decoder: &decoder)
        #expect(list.first?.indexing == .withoutIndexing && encoder.dynamicTableCount == 0)
    }

    @Test func sizeUpdatesFollowThePeersSettings() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        let field = HPACKHeaderField(name: ":method", value: "GET")
        #expect(encode(&encoder, [field]) == [0x82])
        // Lowered: one update (1000 = 31 + 969 -> 3f c9 07), once.
        encoder.setPeerMaxTableSize(1000)
        decoder.setMaxAllowedTableSize(1000)
        #expect(encode(&encoder, [field]) == [0x3f, 0xc9, 0x07, 0x82])
        #expect(encode(&encoder, [field]) == [0x82])
        // Down to 0 and back to 4096 between two blocks: the minimum, then the final size.
        encoder.setPeerMaxTableSize(0)
        encoder.setPeerMaxTableSize(4096)
        #expect(encode(&encoder, []) == [0x20, 0x3f, 0xe1, 0x1f])
        // Above what the encoder wants to use (4096): nothing to announce.
        encoder.setPeerMaxTableSize(65536)
        #expect(encode(&encoder, [field]) == [0x82])
        #expect(encoder.dynamicTableMaxSize == 4096)
        // A cap below HTTP/2's initial 4096 is announced in the first block.
        var small = HPACKEncoder(maxTableSize: 0)
        #expect(encode(&small, [.init(name: "x", value: "y")]).prefix(2) == [0x20, 0x00])
        #expect(small.dynamicTableCount == 0)
    }

    @Test func copiesEncodeIndependently() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        _ = try roundTrip([.init(name: "x-a", value: "1")], encoder: &encoder, decoder: &decoder)
        var encoderCopy = encoder
        var decoderCopy = decoder
        _ = try roundTrip([.init(name: "x-b", value: "2")], encoder: &encoder, decoder: &decoder)
        let list = try roundTrip([.init(name: "x-c", value: "3"), .init(name: "x-a", value: "1")],
                                 encoder: &encoderCopy, decoder: &decoderCopy)
        #expect(list.fields.map(\.value) == ["3", "1"])
        #expect(encoder.dynamicTableCount == 2 && encoderCopy.dynamicTableCount == 2)
        #expect(decoder.dynamicTableEntries.fields.map(\.name) == ["x-b", "x-a"])
        #expect(decoderCopy.dynamicTableEntries.fields.map(\.name) == ["x-c", "x-a"])
    }

    /// Many distinct and repeated fields through small tables: the hash index must keep finding the
    /// right entries across evictions and ring growth (the decoder checks every index it is sent).
    @Test(arguments: [4096, 256, 100, 0])
    func randomizedRoundTripsKeepBothTablesInStep(tableSize: Int) throws {
        var random = SeededGenerator(seed: UInt64(tableSize) + 1)
        var encoder = HPACKEncoder(maxTableSize: tableSize)
        var decoder = HPACKDecoder()
        var pool: [HPACKHeaderField] = []
        for round in 0..<1500 {
            var fields: [HPACKHeaderField] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                if !pool.isEmpty && Bool.random(using: &random) {
                    fields.append(pool.randomElement(using: &random)!)
                } else {
                    let name = "x-" + String(Int.random(in: 0..<40, using: &random))
                    let value = String(repeating: "v", count: Int.random(in: 0..<60, using: &random))
                        + String(Int.random(in: 0..<1000, using: &random))
                    let field = HPACKHeaderField(name: name, value: value)
                    pool.append(field)
                    fields.append(field)
                }
            }
            let list = try roundTrip(fields, encoder: &encoder, decoder: &decoder)
            #expect(list.map { [$0.name, $0.value] } == fields.map { [$0.name, $0.value] }, "round \(round)")
            #expect(encoder.dynamicTableSize == decoder.dynamicTableSize)
            #expect(encoder.dynamicTableSize <= tableSize)
            if pool.count > 300 { pool.removeFirst(100) }
        }
    }
}
