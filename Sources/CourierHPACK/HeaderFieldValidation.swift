/// Cheap byte-level checks of field names and values that HTTP/2 needs after HPACK decoding
/// (RFC 9113 §8.2.1). The codec itself never validates or lowercases: a header block with an
/// uppercase name is valid HPACK but a malformed HTTP/2 message, and only the HTTP/2 layer can
/// answer it properly (a stream error, not COMPRESSION_ERROR). Pseudo-header rules (which names,
/// order, duplicates) belong to the HTTP/2 layer too.
public enum HeaderFieldValidation {
    /// Per octet: 1 when it may appear in an HTTP/2 field name (a lowercase `tchar`, RFC 9110 §5.6.2).
    private static let nameOctets: [UInt8] = (0..<256).map { octet in
        switch UInt8(octet) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): 1
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): 1
        default: 0
        }
    }

    /// Whether `name` is a valid HTTP/2 field name: not empty, only lowercase token characters, except
    /// one leading ':' that marks a pseudo-header. Uppercase letters, separators, controls, spaces
    /// and non-ASCII octets make it invalid (RFC 9113 §8.2.1).
    public static func isValidName(_ name: UnsafeRawBufferPointer) -> Bool {
        guard !name.isEmpty else { return false }
        let start = name[0] == UInt8(ascii: ":") ? 1 : 0
        guard start < name.count else { return false }
        return nameOctets.withUnsafeBufferPointer { allowed in
            var valid: UInt8 = 1
            for index in start..<name.count { valid &= allowed[Int(name[index])] }
            return valid == 1
        }
    }

    /// Whether `value` is a valid HTTP/2 field value: no NUL, CR or LF anywhere, and no leading or
    /// trailing space or horizontal tab (RFC 9113 §8.2.1).
    public static func isValidValue(_ value: UnsafeRawBufferPointer) -> Bool {
        if let first = value.first, first == 0x20 || first == 0x09 { return false }
        if let last = value.last, last == 0x20 || last == 0x09 { return false }
        for octet in value where octet == 0 || octet == 0x0a || octet == 0x0d { return false }
        return true
    }
}

extension HPACKHeaderList.Field {
    /// `HeaderFieldValidation.isValidName` applied to this field's name.
    public var hasValidHTTP2Name: Bool { withUnsafeBytes { name, _ in HeaderFieldValidation.isValidName(name) } }

    /// `HeaderFieldValidation.isValidValue` applied to this field's value.
    public var hasValidHTTP2Value: Bool { withUnsafeBytes { _, value in HeaderFieldValidation.isValidValue(value) } }

    /// Whether the name starts with ':' (a pseudo-header field, RFC 9113 §8.3).
    public var isPseudoHeader: Bool { withUnsafeBytes { name, _ in name.first == UInt8(ascii: ":") } }
}
