/// Parsing of one field line, shared by heads and trailer sections (RFC 9112 §5, RFC 9110 §5.5).
///
/// `field-line = field-name ":" OWS field-value OWS`. The name must be a non-empty token immediately
/// followed by the colon (whitespace before the colon is rejected, RFC 9112 §5.1); the value may hold
/// HTAB, SP, VCHAR and obs-text only, so NUL, a bare CR and every other control byte are rejected.
/// A line starting with whitespace is obsolete line folding (RFC 9112 §5.2), rejected as well.
enum FieldLine {
    /// Parses the line content `start..<end` (non-empty, CR LF excluded) and returns the offsets of its
    /// name and value relative to `origin`.
    @inline(__always)
    static func parse(
        _ bytes: UnsafePointer<UInt8>, start: Int, end: Int, origin: Int, streamOffset: Int
    ) throws(HTTP1Error) -> HTTP1Fields.Entry {
        let table = CharacterClass.table
        if CharacterClass.isWhitespace(bytes[start]) {
            throw HTTP1Error(.obsoleteLineFolding, offset: streamOffset &+ start, byte: bytes[start],
                             detail: "field line starts with whitespace")
        }
        var index = start
        while index < end && table[Int(bytes[index])] & CharacterClass.token != 0 { index &+= 1 }
        guard index < end, bytes[index] == ASCII.colon, index > start else {
            throw invalid(.invalidHeaderName, bytes, at: index, end: end, streamOffset: streamOffset,
                          detail: index == start ? "empty field name" : "invalid byte in field name")
        }
        let nameEnd = index
        index &+= 1
        while index < end && CharacterClass.isWhitespace(bytes[index]) { index &+= 1 }
        let valueStart = index
        var valueEnd = end
        while valueEnd > valueStart && CharacterClass.isWhitespace(bytes[valueEnd &- 1]) { valueEnd &-= 1 }
        let bad = CharacterClass.firstInvalidFieldValueByte(bytes, from: valueStart, to: valueEnd)
        if bad != valueEnd {
            throw invalid(.invalidHeaderValue, bytes, at: bad, end: end, streamOffset: streamOffset,
                          detail: "control byte in field value")
        }
        return HTTP1Fields.Entry(
            nameStart: UInt32(truncatingIfNeeded: start &- origin),
            nameEnd: UInt32(truncatingIfNeeded: nameEnd &- origin),
            valueStart: UInt32(truncatingIfNeeded: valueStart &- origin),
            valueEnd: UInt32(truncatingIfNeeded: valueEnd &- origin))
    }

    /// Rejects a field line whose first bytes already make it invalid: whitespace (obs-fold, or whitespace
    /// between the start line and the first field: RFC 9112 §2.2 and §5.2), or a CR not followed by LF
    /// (RFC 9112 §2.2; e.g. a head ended by CR CR, a classic desync). It is the first check of every field
    /// line and looks only at the raw bytes `start..<available`, so it can run as soon as they have arrived
    /// without changing the outcome for any split of the input.
    @inline(__always)
    static func checkLineStart(
        _ bytes: UnsafePointer<UInt8>, start: Int, available: Int, streamOffset: Int
    ) throws(HTTP1Error) {
        guard start < available else { return }
        let first = bytes[start]
        if CharacterClass.isWhitespace(first) {
            throw HTTP1Error(.obsoleteLineFolding, offset: streamOffset &+ start, byte: first,
                             detail: "field line starts with whitespace")
        }
        if first == ASCII.cr && start &+ 1 < available && bytes[start &+ 1] != ASCII.lf {
            throw HTTP1Error(.bareCarriageReturn, offset: streamOffset &+ start, byte: first,
                             detail: "CR not followed by LF")
        }
    }

    /// An error about the byte at `index` of a line ending at `end`; a CR there is reported as a bare CR,
    /// since inside a line's content a CR can only be one that is not followed by LF.
    static func invalid(
        _ code: HTTP1Error.Code, _ bytes: UnsafePointer<UInt8>, at index: Int, end: Int, streamOffset: Int,
        detail: String
    ) -> HTTP1Error {
        guard index < end else {
            return HTTP1Error(code, offset: streamOffset &+ index, detail: detail + " (line ended)")
        }
        let byte = bytes[index]
        if byte == ASCII.cr {
            return HTTP1Error(.bareCarriageReturn, offset: streamOffset &+ index, byte: byte,
                              detail: "CR not followed by LF")
        }
        return HTTP1Error(code, offset: streamOffset &+ index, byte: byte, detail: detail)
    }
}
