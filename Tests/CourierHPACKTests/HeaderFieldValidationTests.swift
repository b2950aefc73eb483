import CourierHPACK
import Testing

@Suite struct HeaderFieldValidationTests {
    func name(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { HeaderFieldValidation.isValidName($0) }
    }

    func value(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { HeaderFieldValidation.isValidValue($0) } }

    @Test func namesMustBeLowercaseTokens() {
        for valid in ["content-type", ":path", ":status", "x-custom_1", "a", "!#$%&'*+-.^_`|~09az"] {
            #expect(name(valid), "\(valid)")
        }
        for invalid in ["", ":", "Content-Type", "x-A", "a b", "a:b", "a\u{0}", "caf\u{e9}", "a\t", "x\u{7f}", "::a"] {
            #expect(!name(invalid), "\(invalid)")
        }
    }

    @Test func valuesMustNotHoldNulCrLfOrOuterWhitespace() {
        #expect(value(Array("text/html; charset=utf-8".utf8)))
        #expect(value([]))
        #expect(value(Array("a b\tc".utf8)))
        #expect(value([0x80, 0xff]))  // obs-text is allowed
        for invalid: [UInt8] in [[0x20, 0x61], [0x61, 0x20], [0x09], [0x61, 0x00, 0x62], [0x61, 0x0a], [0x0d, 0x61]] {
            #expect(!value(invalid), "\(invalid)")
        }
    }

    @Test func fieldsOfADecodedListCanBeCheckedInPlace() {
        let list: HPACKHeaderList = [(":method", "GET"), ("Host", "example.com"), ("x-ok", " padded")]
        #expect(list.map(\.hasValidHTTP2Name) == [true, false, true])
        #expect(list.map(\.hasValidHTTP2Value) == [true, true, false])
        #expect(list.map(\.isPseudoHeader) == [true, false, false])
    }
}
