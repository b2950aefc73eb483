/// The parsed start line of a head: a status line (RFC 9112 §4) or a request line (RFC 9112 §3).
/// Positions are relative to the start of the head.
struct StartLine {
    var version = HTTP1Version.http1_1
    var status = 0
    var reasonStart = 0
    var reasonEnd = 0
    var methodEnd = 0
    var targetStart = 0
    var targetEnd = 0

    /// `status-line = HTTP-version SP status-code SP [ reason-phrase ]`, where a missing SP before an
    /// empty reason is tolerated (as every client does). Only `HTTP/1.x` and the historical
    /// `HTTP/0.9` (treated like 1.0) are accepted; the protocol name is case-sensitive.
    @inline(__always)
    mutating func parseStatusLine(
        _ bytes: UnsafePointer<UInt8>, start: Int, end: Int, streamOffset: Int
    ) throws(HTTP1Error) {
        let length = end &- start
        let prefix: StaticString = "HTTP/"
        for index in 0..<5 where index >= length || bytes[start &+ index] != prefix.utf8Start[index] {
            throw FieldLine.invalid(.invalidStatusLine, bytes, at: start &+ index, end: end,
                                    streamOffset: streamOffset, detail: "status line does not start with HTTP/")
        }
        version = try Self.parseVersionDigits(bytes, start: start &+ 5, end: end, streamOffset: streamOffset)
        guard length > 8, bytes[start &+ 8] == ASCII.space else {
            throw FieldLine.invalid(.invalidVersion, bytes, at: start &+ 8, end: end, streamOffset: streamOffset,
                                    detail: "expected one space after the version")
        }
        guard version.major == 1 || (version.major == 0 && version.minor == 9) else {
            throw HTTP1Error(.invalidVersion, offset: streamOffset &+ start &+ 5,
                             detail: "\(version) is not an HTTP/1 version")
        }
        var code = 0
        for index in 9..<12 {
            let digit = index < length ? bytes[start &+ index] &- ASCII.zero : 0xFF
            guard digit < 10 else {
                throw FieldLine.invalid(.invalidStatusLine, bytes, at: start &+ index, end: end,
                                        streamOffset: streamOffset, detail: "status code is not three digits")
            }
            code = code &* 10 &+ Int(digit)
        }
        guard code >= 100 else {
            throw HTTP1Error(.invalidStatusLine, offset: streamOffset &+ start &+ 9, detail: "status code below 100")
        }
        status = code
        reasonStart = 12
        reasonEnd = 12
        if length > 12 {
            guard bytes[start &+ 12] == ASCII.space else {
                throw FieldLine.invalid(.invalidStatusLine, bytes, at: start &+ 12, end: end,
                                        streamOffset: streamOffset, detail: "expected a space after the status code")
            }
            let bad = CharacterClass.firstInvalidFieldValueByte(bytes, from: start &+ 13, to: end)
            if bad != end {
                throw FieldLine.invalid(.invalidStatusLine, bytes, at: bad, end: end, streamOffset: streamOffset,
                                        detail: "control byte in reason phrase")
            }
            reasonStart = 13
            reasonEnd = length
        }
    }

    /// `request-line = method SP request-target SP HTTP-version`; the target may hold visible ASCII only.
    @inline(__always)
    mutating func parseRequestLine(
        _ bytes: UnsafePointer<UInt8>, start: Int, end: Int, streamOffset: Int
    ) throws(HTTP1Error) {
        let table = CharacterClass.table
        var index = start
        while index < end && table[Int(bytes[index])] & CharacterClass.token != 0 { index &+= 1 }
        guard index > start, index < end, bytes[index] == ASCII.space else {
            throw FieldLine.invalid(.invalidMethod, bytes, at: index, end: end, streamOffset: streamOffset,
                                    detail: index == start ? "empty method" : "method is not a token")
        }
        methodEnd = index &- start
        index &+= 1
        let target = index
        while index < end && table[Int(bytes[index])] & CharacterClass.target != 0 { index &+= 1 }
        guard index > target, index < end, bytes[index] == ASCII.space else {
            throw FieldLine.invalid(.invalidTarget, bytes, at: index, end: end, streamOffset: streamOffset,
                                    detail: index == target ? "empty request target" : "invalid byte in request target")
        }
        targetStart = target &- start
        targetEnd = index &- start
        index &+= 1
        let prefix: StaticString = "HTTP/"
        for offset in 0..<5 where index &+ offset >= end || bytes[index &+ offset] != prefix.utf8Start[offset] {
            throw FieldLine.invalid(.invalidVersion, bytes, at: index &+ offset, end: end,
                                    streamOffset: streamOffset, detail: "version does not start with HTTP/")
        }
        version = try Self.parseVersionDigits(bytes, start: index &+ 5, end: end, streamOffset: streamOffset)
        guard index &+ 8 == end else {
            throw FieldLine.invalid(.invalidVersion, bytes, at: index &+ 8, end: end, streamOffset: streamOffset,
                                    detail: "unexpected byte after the version")
        }
        guard version.major == 1 else {
            throw HTTP1Error(.invalidVersion, offset: streamOffset &+ index &+ 5,
                             detail: "\(version) is not an HTTP/1 version")
        }
    }

    /// `DIGIT "." DIGIT` at `start`.
    @inline(__always)
    private static func parseVersionDigits(
        _ bytes: UnsafePointer<UInt8>, start: Int, end: Int, streamOffset: Int
    ) throws(HTTP1Error) -> HTTP1Version {
        let major = start < end ? bytes[start] &- ASCII.zero : 0xFF
        let dot = start &+ 1 < end ? bytes[start &+ 1] : 0
        let minor = start &+ 2 < end ? bytes[start &+ 2] &- ASCII.zero : 0xFF
        guard major < 10 else {
            throw FieldLine.invalid(.invalidVersion, bytes, at: start, end: end, streamOffset: streamOffset,
                                    detail: "expected a digit")
        }
        guard dot == UInt8(ascii: ".") else {
            throw FieldLine.invalid(.invalidVersion, bytes, at: start &+ 1, end: end, streamOffset: streamOffset,
                                    detail: "expected a dot")
        }
        guard minor < 10 else {
            throw FieldLine.invalid(.invalidVersion, bytes, at: start &+ 2, end: end, streamOffset: streamOffset,
                                    detail: "expected a digit")
        }
        return HTTP1Version(major: Int(major), minor: Int(minor))
    }
}
