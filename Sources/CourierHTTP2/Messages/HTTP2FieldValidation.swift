import CourierCore
import CourierHPACK

/// The checks RFC 9113 §8 makes on a decoded field section, in one pass over the list's bytes:
///
/// - pseudo-header fields: only those defined for the section's kind (`:status` for responses;
///   `:method`, `:scheme`, `:authority`, `:path` for requests; none in trailers), each at most
///   once, all before the first regular field (§8.3); the required ones present (§8.3.1, §8.3.2);
///   `:status` three digits and not 101 (§8.6); `:path` not empty and absolute for http(s), and
///   no userinfo in their `:authority` (§8.3.1);
/// - regular fields: lowercase token names (§8.2.1, stricter than its minimum, as §8.2.1 advises),
///   values without NUL, CR, LF or surrounding whitespace (§8.2.1); no connection-specific
///   fields, `te` only with `trailers` (§8.2.2);
/// - `content-length`: digits, repeated values equal (§8.1.1); the caller counts DATA against it;
/// - requests: `host` naming the same authority as `:authority` (§8.3.1, a SHOULD).
///
/// Outbound sections get the same checks (a violation there is the caller's mistake).
enum HTTP2FieldValidation {
    /// Which kind of field section is being checked.
    enum Kind {
        case request, response, trailers
    }

    /// What a valid section told us.
    struct Summary {
        /// The index of the first regular field.
        var regularStart = 0
        /// `:status` (responses).
        var status = 0
        /// Indices of the request pseudo-header fields.
        var method: Int?
        var scheme: Int?
        var authority: Int?
        var path: Int?
        /// The declared content length, when there is one.
        var contentLength: Int?
        /// Whether `:method` is HEAD (the response then has no content).
        var isHeadRequest = false
    }

    /// Checks `list` as a section of `kind`; returns its summary or a description of the violation.
    static func check(_ list: HPACKHeaderList, kind: Kind) -> (summary: Summary, violation: String?) {
        var summary = Summary()
        let count = list.count
        let bytes = list.bytes
        let violation: String? = bytes.withUnsafeReadableBytes { raw -> String? in
            let base = raw.baseAddress.map { $0 - bytes.readerIndex }
            @inline(__always) func field(_ index: Int) -> (name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
                let field = list.place(of: index)
                let offset = field.offset
                let nameLength = field.nameLength
                let valueLength = field.valueLength
                return (UnsafeRawBufferPointer(start: base.map { $0 + offset }, count: nameLength),
                        UnsafeRawBufferPointer(start: base.map { $0 + offset + nameLength }, count: valueLength))
            }
            var hostIndex: Int?
            var index = 0
            // Pseudo-header fields first.
            while index < count {
                let (name, value) = field(index)
                guard name.first == UInt8(ascii: ":") else { break }
                if let problem = checkPseudo(name, value, index: index, kind: kind, into: &summary) { return problem }
                index += 1
            }
            summary.regularStart = index
            // Regular fields.
            while index < count {
                let (name, value) = field(index)
                if !isLowercaseToken(name) {
                    return name.first == UInt8(ascii: ":") ? "pseudo-header field after a regular field" : "invalid field name"
                }
                if !isValidValue(value) { return "invalid field value" }
                if let problem = checkRegular(name, value, kind: kind, into: &summary) { return problem }
                if kind == .request && name.count == 4 && matches(name, "host") { hostIndex = index }
                index += 1
            }
            if let problem = checkRequired(kind: kind, list: list, base: base, summary: &summary) { return problem }
            if kind == .request, let hostIndex, let authority = summary.authority,
               !sameAuthority(list, hostIndex, authority, scheme: summary.scheme, base: base) {
                return "host differs from :authority"
            }
            return nil
        }
        return (summary, violation)
    }

    /// A field name of RFC 9113 §8.2.1 as RFC 9110 defines it: a token (§5.6.2) in lowercase.
    @inline(__always)
    static func isLowercaseToken(_ name: UnsafeRawBufferPointer) -> Bool {
        guard !name.isEmpty else { return false }
        let table = tokenTable
        var valid: UInt8 = 1
        for octet in name { valid &= table[Int(octet)] }
        return valid == 1
    }

    /// 1 for the octets of a lowercase token: digits, a-z and !#$%&'*+-.^_`|~. Allocated once and
    /// never freed, so that reading it costs no reference counting. `nonisolated(unsafe)` is sound:
    /// the memory is written only inside this initializer (run once, thread-safely, by Swift's lazy
    /// global initialization) and only read afterwards.
    nonisolated(unsafe) private static let tokenTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        let low: UInt64 = 0x03ff_6cfa_0000_0000
        let high: UInt64 = 0x57ff_ffff_c000_0000
        for octet in 0..<256 {
            let bit = octet < 64 ? low >> UInt64(octet) : octet < 128 ? high >> UInt64(octet - 64) : 0
            table[octet] = UInt8(truncatingIfNeeded: bit & 1)
        }
        return UnsafePointer(table)
    }()

    /// RFC 9113 §8.2.1: no NUL, LF or CR; no SP or HTAB at either end. Eight octets at a time.
    @inline(__always)
    static func isValidValue(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let start = value.baseAddress, value.count > 0 else { return true }
        let first = value[0]
        let last = value[value.count - 1]
        if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { return false }
        @inline(__always) func hasZeroByte(_ word: UInt64) -> Bool {
            (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0
        }
        var index = 0
        while index + 8 <= value.count {
            let word = start.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if hasZeroByte(word) || hasZeroByte(word ^ 0x0a0a_0a0a_0a0a_0a0a) || hasZeroByte(word ^ 0x0d0d_0d0d_0d0d_0d0d) {
                return false
            }
            index += 8
        }
        while index < value.count {
            let octet = value[index]
            if octet == 0 || octet == 0x0a || octet == 0x0d { return false }
            index += 1
        }
        return true
    }

    private static func checkPseudo(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, index: Int,
                                    kind: Kind, into summary: inout Summary) -> String? {
        switch kind {
        case .trailers:
            return "pseudo-header field in trailers"
        case .response:
            guard matches(name, ":status") else { return "pseudo-header field not allowed in a response" }
            guard summary.status == 0 else { return "repeated :status" }
            guard let status = parseStatus(value) else { return "invalid :status" }
            summary.status = status
        case .request:
            if matches(name, ":method") {
                guard summary.method == nil else { return "repeated :method" }
                guard !value.isEmpty, value.allSatisfy(isTokenOctet) else { return "invalid :method" }
                summary.method = index
                summary.isHeadRequest = matches(value, "HEAD")
            } else if matches(name, ":scheme") {
                guard summary.scheme == nil else { return "repeated :scheme" }
                guard !value.isEmpty else { return "empty :scheme" }
                summary.scheme = index
            } else if matches(name, ":authority") {
                guard summary.authority == nil else { return "repeated :authority" }
                summary.authority = index
            } else if matches(name, ":path") {
                guard summary.path == nil else { return "repeated :path" }
                guard !value.isEmpty else { return "empty :path" }
                summary.path = index
            } else {
                return "pseudo-header field not allowed in a request"
            }
        }
        return nil
    }

    private static func checkRegular(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, kind: Kind,
                                     into summary: inout Summary) -> String? {
        switch name.count {
        case 2 where matches(name, "te"):
            guard equalsIgnoringCase(value, "trailers") else { return "te other than trailers" }
        case 7 where matches(name, "upgrade"):
            return "connection-specific field upgrade"
        case 10 where matches(name, "connection"), 10 where matches(name, "keep-alive"):
            return "connection-specific field"
        case 14 where matches(name, "content-length"):
            guard let length = parseContentLength(value) else { return "invalid content-length" }
            if let previous = summary.contentLength, previous != length { return "conflicting content-length" }
            summary.contentLength = length
        case 16 where matches(name, "proxy-connection"):
            return "connection-specific field proxy-connection"
        case 17 where matches(name, "transfer-encoding"):
            return "connection-specific field transfer-encoding"
        default:
            break
        }
        return nil
    }

    private static func checkRequired(kind: Kind, list: HPACKHeaderList, base: UnsafeRawPointer?,
                                      summary: inout Summary) -> String? {
        switch kind {
        case .trailers:
            return nil
        case .response:
            return summary.status == 0 ? "missing :status" : nil
        case .request:
            guard let method = summary.method else { return "missing :method" }
            let methodField = list.place(of: method)
            let methodValue = UnsafeRawBufferPointer(start: base.map { $0 + methodField.offset + methodField.nameLength },
                                                     count: methodField.valueLength)
            if matches(methodValue, "CONNECT") {
                // §8.5: no :scheme or :path, :authority required (extended CONNECT is not supported).
                guard summary.scheme == nil, summary.path == nil else { return "CONNECT with :scheme or :path" }
                return summary.authority == nil ? "CONNECT without :authority" : nil
            }
            guard let scheme = summary.scheme else { return "missing :scheme" }
            guard let path = summary.path else { return "missing :path" }
            let schemeField = list.place(of: scheme)
            let schemeValue = UnsafeRawBufferPointer(start: base.map { $0 + schemeField.offset + schemeField.nameLength },
                                                     count: schemeField.valueLength)
            if matches(schemeValue, "http") || matches(schemeValue, "https") {
                if let authority = summary.authority {
                    // §8.3.1: no userinfo in :authority for http and https.
                    let field = list.place(of: authority)
                    let value = UnsafeRawBufferPointer(start: base.map { $0 + field.offset + field.nameLength },
                                                       count: field.valueLength)
                    if value.contains(UInt8(ascii: "@")) { return "userinfo in :authority" }
                }
                let pathField = list.place(of: path)
                let pathValue = UnsafeRawBufferPointer(start: base.map { $0 + pathField.offset + pathField.nameLength },
                                                       count: pathField.valueLength)
                let asterisk = pathValue.count == 1 && pathValue[0] == UInt8(ascii: "*")
                guard pathValue[0] == UInt8(ascii: "/") || (asterisk && matches(methodValue, "OPTIONS")) else {
                    return "invalid :path"
                }
            }
            return nil
        }
    }

    /// `host` and `:authority` compared case-insensitively, ignoring the scheme's default port.
    private static func sameAuthority(_ list: HPACKHeaderList, _ host: Int, _ authority: Int, scheme: Int?,
                                      base: UnsafeRawPointer?) -> Bool {
        func value(_ index: Int) -> UnsafeRawBufferPointer {
            let field = list.place(of: index)
            return UnsafeRawBufferPointer(start: base.map { $0 + field.offset + field.nameLength }, count: field.valueLength)
        }
        func withoutDefaultPort(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            let schemeValue = scheme.map(value)
            let port: StaticString? = schemeValue.map { matches($0, "https") ? ":443" : matches($0, "http") ? ":80" : nil } ?? nil
            guard let port, bytes.count > port.utf8CodeUnitCount,
                  matches(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - port.utf8CodeUnitCount)...]), port)
            else { return bytes }
            return UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - port.utf8CodeUnitCount)])
        }
        let left = withoutDefaultPort(value(host))
        let right = withoutDefaultPort(value(authority))
        guard left.count == right.count else { return false }
        for index in 0..<left.count where lowercased(left[index]) != lowercased(right[index]) { return false }
        return true
    }

    /// Three digits, 100 to 999, and not 101 (§8.6).
    static func parseStatus(_ value: UnsafeRawBufferPointer) -> Int? {
        guard value.count == 3 else { return nil }
        var status = 0
        for octet in value {
            guard octet >= UInt8(ascii: "0") && octet <= UInt8(ascii: "9") else { return nil }
            status = status * 10 + Int(octet - UInt8(ascii: "0"))
        }
        guard status >= 100 && status != 101 else { return nil }
        return status
    }

    /// One to 18 digits.
    static func parseContentLength(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty && value.count <= 18 else { return nil }
        var length = 0
        for octet in value {
            guard octet >= UInt8(ascii: "0") && octet <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + Int(octet - UInt8(ascii: "0"))
        }
        return length
    }

    @inline(__always)
    static func matches(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for index in 0..<bytes.count where lowercased(bytes[index]) != expected[index] { return false }
        return true
    }

    @inline(__always)
    private static func lowercased(_ octet: UInt8) -> UInt8 {
        octet >= UInt8(ascii: "A") && octet <= UInt8(ascii: "Z") ? octet | 0x20 : octet
    }

    /// `tchar` of RFC 9110 §5.6.2, any case.
    private static func isTokenOctet(_ octet: UInt8) -> Bool {
        switch octet {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
