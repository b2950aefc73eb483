import CourierCore
import CourierHPACK
import Testing

/// Decoder behaviour beyond the fixtures: limits that keep the table in step, required size
/// updates after our SETTINGS shrink, value semantics, and the entry points.
@Suite struct HPACKDecoderTests {
    func block(_ fields: [HPACKHeaderField], encoder: inout HPACKEncoder) -> ByteBuffer {
        var buffer = ByteBuffer()
        encoder.encode(fields, into: &buffer)
        return buffer
    }

    @Test func aFieldOverTheLimitFailsOnlyThatBlockAndKeepsTheTable() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder(maxFieldSize: 20)
        let long = HPACKHeaderField(name: "x-long", value: String(repeating: "a", count: 30))
        let first = block([long, .init(name: "x-short", value: "b")], encoder: &encoder)
        do throws(HPACKError) {
            _ = try decoder.decode(first)
            Issue.record("not refused")
        } catch {
            #expect(error.code == .fieldTooLarge && error.isLimitExceeded && !error.isCompressionError)
            #expect(error.value == 36 && error.limit == 20 && error.offset == 0)
        }
        // Both fields went into the table, as they did in the encoder's: the next block decodes.
        #expect(decoder.dynamicTableCount == 2 && decoder.dynamicTableSize == encoder.dynamicTableSize)
        let second = try decoder.decode(block([.init(name: "x-short", value: "b")], encoder: &encoder))
        #expect(second.fields == [HPACKHeaderField(name: "x-short", value: "b")])
    }

    @Test func aListOverTheLimitFailsOnlyThatBlock() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder(maxHeaderListSize: 200)
        let fields = (0..<8).map { HPACKHeaderField(name: "x-\($0)", value: "value-\($0)") }  // 42 octets each
        do throws(HPACKError) {
            _ = try decoder.decode(block(fields, encoder: &encoder))
            Issue.record("not refused")
        } catch {
            #expect(error.code == .headerListTooLarge && error.limit == 200 && error.value == 5 * 42)
        }
        #expect(decoder.dynamicTableCount == 8)
        let again = try decoder.decode(block(Array(fields.prefix(4)), encoder: &encoder))
        #expect(again.fields == Array(fields.prefix(4)) && again.headerListSize == 4 * 42)
    }

    @Test func shrinkingOurSettingRequiresASizeUpdate() throws {
        let get: [UInt8] = [0x82]
        var decoder = HPACKDecoder()
        decoder.setMaxAllowedTableSize(1000)
        #expect(HPACKTestSupport.throwsCode(.tableSizeUpdateMissing) { _ = try HPACKTestSupport.decode(&decoder, get) })
        var empty = HPACKDecoder()
        empty.setMaxAllowedTableSize(1000)
        #expect(HPACKTestSupport.throwsCode(.tableSizeUpdateMissing) { _ = try HPACKTestSupport.decode(&empty, []) })

        var above = HPACKDecoder()
        above.setMaxAllowedTableSize(1000)
        #expect(HPACKTestSupport.throwsCode(.tableSizeAboveLimit) {
            _ = try HPACKTestSupport.decode(&above, [0x3f, 0xb1, 0x0f, 0x82])  // 2000
        })

        var fine = HPACKDecoder()
        fine.setMaxAllowedTableSize(1000)
        _ = try HPACKTestSupport.decode(&fine, [0x3f, 0xc9, 0x07, 0x82])  // 1000
        #expect(fine.dynamicTableMaxSize == 1000)
        _ = try HPACKTestSupport.decode(&fine, get)  // owed only once

        // Lowered to 100, then raised to 4096 before the next block: the block must show <= 100 first.
        var dip = HPACKDecoder()
        dip.setMaxAllowedTableSize(100)
        dip.setMaxAllowedTableSize(4096)
        #expect(HPACKTestSupport.throwsCode(.tableSizeUpdateMissing) {
            _ = try HPACKTestSupport.decode(&dip, [0x3f, 0xe1, 0x1f, 0x82])
        })
        var dipped = HPACKDecoder()
        dipped.setMaxAllowedTableSize(100)
        dipped.setMaxAllowedTableSize(4096)
        _ = try HPACKTestSupport.decode(&dipped, [0x3f, 0x45, 0x3f, 0xe1, 0x1f, 0x82])  // 100, then 4096

        // Raising it needs nothing; the peer may grow the table up to it.
        var raised = HPACKDecoder()
        raised.setMaxAllowedTableSize(16384)
        _ = try HPACKTestSupport.decode(&raised, get)
        _ = try HPACKTestSupport.decode(&raised, [0x3f, 0xe1, 0x7f, 0x82])  // 16384
        #expect(raised.dynamicTableMaxSize == 16384)
    }

    @Test func errorsCarryTheOffsetOfTheFailingRepresentation() {
        var decoder = HPACKDecoder()
        do throws(HPACKError) {
            _ = try HPACKTestSupport.decode(&decoder, [0x82, 0x86, 0x20])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .tableSizeUpdateNotFirst && error.offset == 2)
            #expect(error.description == "HPACK dynamic table size update after a field at offset 2")
        }
        do throws(HPACKError) {
            _ = try HPACKTestSupport.decode(&decoder, [0x82, 0xc0])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidIndex && error.offset == 1 && error.value == 64 && error.limit == 61)
        }
    }

    @Test func decodersAndListsAreValues() throws {
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()
        var list = HPACKHeaderList()
        try decoder.decode(block([.init(name: "x-a", value: "1")], encoder: &encoder), into: &list)
        let kept = list
        let snapshot = decoder
        try decoder.decode(block([.init(name: "x-b", value: "2")], encoder: &encoder), into: &list)
        #expect(kept.fields == [HPACKHeaderField(name: "x-a", value: "1")])
        #expect(list.fields == [HPACKHeaderField(name: "x-b", value: "2")])
        #expect(snapshot.dynamicTableCount == 1 && decoder.dynamicTableCount == 2)
    }

    @Test func everyEntryPointDecodesTheSame() throws {
        var encoder = HPACKEncoder()
        let wire = block([.init(name: ":method", value: "GET"), .init(name: "x-y", value: "z")], encoder: &encoder)
        var prefixed = ByteBuffer(bytes: [0xaa, 0xbb])
        prefixed.writeBuffer(wire)
        prefixed.moveReaderIndex(forwardBy: 2)
        var first = HPACKDecoder()
        var second = HPACKDecoder()
        var third = HPACKDecoder()
        let a = try first.decode(wire)
        let b = try second.decode(prefixed)
        var c = HPACKHeaderList()
        let bytes = HPACKTestSupport.bytes(wire)
        try bytes.withUnsafeBytes { raw in try third.decode(raw, into: &c) }
        #expect(a == b && b == c && a.count == 2)
        #expect(a[1].nameBytes.elementsEqual("x-y".utf8) && a[1].valueBytes.elementsEqual("z".utf8))
        #expect(a.firstValue(for: "x-y") == "z" && a.firstValue(for: "x-none") == nil)
        #expect(a.headerListSize == 7 + 3 + 32 + 3 + 1 + 32)
        #expect(a.description == "[:method: GET, x-y: z]")
    }
}
