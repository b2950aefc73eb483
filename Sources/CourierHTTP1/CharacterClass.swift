// Octet classes of RFC 9110 §5.6.2 (tchar), §5.5 (field values), RFC 9112 §3.2 (request targets),
// and the word-at-a-time check for field values that keeps header parsing close to memchr speed.

/// One byte of class flags per octet, looked up with a single load in the parsers' inner loops.
enum CharacterClass {
    /// `tchar`: the characters of a token (field names, methods, transfer codings).
    static let token: UInt8 = 1
    /// Allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text (not CTLs, not DEL).
    static let fieldValue: UInt8 = 2
    /// HEXDIG.
    static let hexDigit: UInt8 = 4
    /// Allowed in a request target: VCHAR (visible ASCII, 0x21...0x7E).
    static let target: UInt8 = 8
    /// Allowed inside a quoted-string between the quotes, as qdtext (RFC 9110 §5.6.4).
    static let quotedText: UInt8 = 16

    /// The table. It is built once and never written afterwards, so reading it from any thread is safe.
    nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for octet in 0..<256 {
            var flags: UInt8 = 0
            let byte = UInt8(octet)
            if isTokenCharacter(byte) { flags |= token }
            if byte == 0x09 || (byte >= 0x20 && byte != 0x7F) { flags |= fieldValue }
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66) {
                flags |= hexDigit
            }
            if byte >= 0x21 && byte <= 0x7E { flags |= target }
            if byte == 0x09 || byte == 0x20 || byte == 0x21 || (byte >= 0x23 && byte <= 0x5B)
                || (byte >= 0x5D && byte <= 0x7E) || byte >= 0x80 {
                flags |= quotedText
            }
            table[octet] = flags
        }
        return UnsafePointer(table)
    }()

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    ///         / DIGIT / ALPHA
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The index of the first byte in `start..<end` that may not appear in a field value, or `end`.
    ///
    /// Checks eight bytes per step: a word is clean when no byte is below 0x20 and none is 0x7F
    /// (bytes at or above 0x80 are obs-text and allowed). Only words holding a tab or a bad byte are
    /// looked at byte by byte.
    @inline(__always)
    static func firstInvalidFieldValueByte(_ bytes: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        let table = Self.table
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index &+ 8 <= end {
            let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)
            let below20 = (word &- ones &* 0x20) & ~word & highs
            let del = word ^ (ones &* 0x7F)
            let isDel = (del &- ones) & ~del & highs
            if below20 | isDel == 0 {
                index &+= 8
                continue
            }
            for offset in 0..<8 where table[Int(bytes[index &+ offset])] & fieldValue == 0 {
                return index &+ offset
            }
            index &+= 8
        }
        while index < end {
            if table[Int(bytes[index])] & fieldValue == 0 { return index }
            index &+= 1
        }
        return end
    }

    /// Whether `length` bytes at `bytes` equal the lowercase ASCII `literal`, ignoring ASCII case.
    /// Exact for token bytes: OR-ing 0x20 maps only A–Z onto a–z among token characters and letters.
    @inline(__always)
    static func equalsLowercase(_ bytes: UnsafePointer<UInt8>, _ length: Int, _ literal: StaticString) -> Bool {
        guard length == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<length where bytes[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }

    /// Whether the byte is SP or HTAB (optional whitespace, RFC 9110 §5.6.3).
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}

/// Octets the parsers compare against.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let zero: UInt8 = 0x30
}
