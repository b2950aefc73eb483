import CourierCore

/// Validates and writes the pieces of a head: tokens, targets, field lines (RFC 9110 §5, RFC 9112 §3–5).
///
/// Every value is checked before it is copied, so CR, LF and NUL can never reach the wire through the
/// API (no header injection, no response splitting). Field values may not start or end with
/// whitespace either, so what the peer parses is exactly what was given. Strings are read through
/// their contiguous UTF-8 storage; nothing is allocated per field.
enum HeadWriter {
    /// Fields the serializers write themselves and refuse from callers (lowercase).
    static let framingAndRouting: [StaticString] = ["host", "content-length", "transfer-encoding"]
    /// Fields a response serializer writes itself.
    static let framing: [StaticString] = ["content-length", "transfer-encoding"]

    /// Whether `bytes` is a non-empty token.
    @inline(__always)
    static func isToken(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty else { return false }
        let table = CharacterClass.table
        for byte in bytes where table[Int(byte)] & CharacterClass.token == 0 { return false }
        return true
    }

    /// Whether `bytes` is a valid field value: field-vchar, SP and HTAB only, no outer whitespace.
    @inline(__always)
    static func isFieldValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        if CharacterClass.isWhitespace(bytes[0]) || CharacterClass.isWhitespace(bytes[bytes.count - 1]) {
            return false
        }
        return CharacterClass.firstInvalidFieldValueByte(base, from: 0, to: bytes.count) == bytes.count
    }

    /// Copies `bytes` into `out` (which must have room) at `offset`; returns the offset after them.
    @inline(__always)
    static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        if let base = bytes.baseAddress, !bytes.isEmpty {
            (out.baseAddress! + offset).copyMemory(from: base, byteCount: bytes.count)
        }
        return offset + bytes.count
    }

    /// Writes `name: value\r\n` after validating both; `reserved` names (lowercase) are refused.
    static func writeField(
        name: String, value: String, reserved: [StaticString], into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) {
        var name = name
        var value = value
        let failure: HTTP1SerializationError? = name.withUTF8 { nameBytes in
            value.withUTF8 { valueBytes in
                guard isToken(nameBytes) else {
                    return HTTP1SerializationError(.invalidFieldName, detail: String(decoding: nameBytes, as: UTF8.self))
                }
                for reservedName in reserved
                where CharacterClass.equalsLowercase(nameBytes.baseAddress!, nameBytes.count, reservedName) {
                    return HTTP1SerializationError(.reservedField, detail: "\(reservedName) is written by the serializer")
                }
                guard isFieldValue(valueBytes) else {
                    return HTTP1SerializationError(.invalidFieldValue,
                                                   detail: "value of \(String(decoding: nameBytes, as: UTF8.self))")
                }
                out.writeWithUnsafeMutableBytes(minimumWritableBytes: nameBytes.count + valueBytes.count + 4) { raw in
                    var offset = copy(nameBytes, to: raw, at: 0)
                    raw[offset] = ASCII.colon
                    raw[offset + 1] = ASCII.space
                    offset = copy(valueBytes, to: raw, at: offset + 2)
                    raw[offset] = ASCII.cr
                    raw[offset + 1] = ASCII.lf
                    return offset + 2
                }
                return nil
            }
        }
        if let failure { throw failure }
    }

    /// Writes every field of `fields`.
    static func writeFields<Fields: Sequence>(
        _ fields: Fields, reserved: [StaticString], into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Fields.Element == (name: String, value: String) {
        for field in fields {
            try writeField(name: field.name, value: field.value, reserved: reserved, into: &out)
        }
    }

    /// Writes a decimal number.
    static func writeDecimal(_ value: Int, into out: inout ByteBuffer) {
        precondition(value >= 0)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { raw in
            var digits = 1
            var rest = value / 10
            while rest > 0 { digits += 1; rest /= 10 }
            var remaining = value
            for index in stride(from: digits - 1, through: 0, by: -1) {
                raw[index] = ASCII.zero + UInt8(remaining % 10)
                remaining /= 10
            }
            return digits
        }
    }

    /// Writes a hexadecimal number (chunk sizes).
    static func writeHex(_ value: Int, into out: inout ByteBuffer) {
        precondition(value >= 0)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: 16) { raw in
            var digits = 1
            while digits < 16 && value >> (4 * digits) != 0 { digits += 1 }
            let alphabet: StaticString = "0123456789abcdef"
            for index in 0..<digits {
                raw[index] = alphabet.utf8Start[(value >> (4 * (digits - 1 - index))) & 0xF]
            }
            return digits
        }
    }

    static func writeStatic(_ text: StaticString, into out: inout ByteBuffer) {
        out.writeBytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
