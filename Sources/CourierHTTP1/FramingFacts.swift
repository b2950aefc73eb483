/// What the fields that decide framing and persistence said, gathered while the head is parsed so the
/// framing decision needs no second pass over the fields.
///
/// RFC 9112 §6.3 (message body length), §6.1 (Transfer-Encoding), RFC 9110 §8.6 (Content-Length),
/// §7.6.1 (Connection), §7.8 (Upgrade), §10.1.1 (Expect).
struct FramingFacts {
    /// The Content-Length, once every Content-Length line agreed on it.
    var contentLength: Int?
    /// A Transfer-Encoding line was present (even an empty one).
    var hasTransferEncoding = false
    /// The last transfer coding seen so far is `chunked`.
    var chunkedIsLast = false
    /// Some coding came after `chunked` (or `chunked` appeared twice).
    var chunkedBeforeAnother = false
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    var hasUpgrade = false
    var expectsContinue = false

    /// Looks at one field; `nameStart..<nameEnd` and `valueStart..<valueEnd` are absolute positions.
    @inline(__always)
    mutating func inspect(
        _ bytes: UnsafePointer<UInt8>, nameStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int,
        isResponse: Bool, streamOffset: Int
    ) throws(HTTP1Error) {
        let name = bytes + nameStart
        let length = nameEnd &- nameStart
        switch length {
        case 6:
            if !isResponse && CharacterClass.equalsLowercase(name, length, "expect") {
                if CharacterClass.equalsLowercase(bytes + valueStart, valueEnd &- valueStart, "100-continue") {
                    expectsContinue = true
                }
            }
        case 7:
            if CharacterClass.equalsLowercase(name, length, "upgrade") { hasUpgrade = true }
        case 10:
            if CharacterClass.equalsLowercase(name, length, "connection") {
                inspectConnection(bytes, valueStart, valueEnd)
            }
        case 14:
            if CharacterClass.equalsLowercase(name, length, "content-length") {
                try inspectContentLength(bytes, valueStart, valueEnd, streamOffset: streamOffset)
            }
        case 16:
            // Not in any RFC, but sent by old proxies; honoured only in the safe direction (closing).
            if isResponse && CharacterClass.equalsLowercase(name, length, "proxy-connection") {
                var proxy = FramingFacts()
                proxy.inspectConnection(bytes, valueStart, valueEnd)
                if proxy.connectionClose { connectionClose = true }
            }
        case 17:
            if CharacterClass.equalsLowercase(name, length, "transfer-encoding") {
                inspectTransferEncoding(bytes, valueStart, valueEnd)
            }
        default:
            break
        }
    }

    /// Calls `body` with each element of a comma-separated list, OWS trimmed, empty elements skipped.
    @inline(__always)
    private static func forEachListElement(
        _ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ body: (Int, Int) -> Void
    ) {
        var index = start
        while index < end {
            var elementEnd = index
            while elementEnd < end && bytes[elementEnd] != ASCII.comma { elementEnd &+= 1 }
            var first = index
            var last = elementEnd
            while first < last && CharacterClass.isWhitespace(bytes[first]) { first &+= 1 }
            while last > first && CharacterClass.isWhitespace(bytes[last &- 1]) { last &-= 1 }
            if last > first { body(first, last) }
            index = elementEnd &+ 1
        }
    }

    private mutating func inspectConnection(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        Self.forEachListElement(bytes, start, end) { first, last in
            let length = last &- first
            if CharacterClass.equalsLowercase(bytes + first, length, "close") {
                connectionClose = true
            } else if CharacterClass.equalsLowercase(bytes + first, length, "keep-alive") {
                connectionKeepAlive = true
            } else if CharacterClass.equalsLowercase(bytes + first, length, "upgrade") {
                connectionUpgrade = true
            }
        }
    }

    private mutating func inspectTransferEncoding(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) {
        hasTransferEncoding = true
        Self.forEachListElement(bytes, start, end) { first, last in
            if chunkedIsLast { chunkedBeforeAnother = true }
            chunkedIsLast = CharacterClass.equalsLowercase(bytes + first, last &- first, "chunked")
        }
    }

    /// `Content-Length = 1*DIGIT`. Repeated lines, or a list such as `42, 42`, are accepted only when
    /// every value is the same (RFC 9110 §8.6); signs, spaces inside, empty values and overflow are not.
    private mutating func inspectContentLength(
        _ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, streamOffset: Int
    ) throws(HTTP1Error) {
        if start == end {
            throw HTTP1Error(.invalidContentLength, offset: streamOffset &+ start, detail: "empty Content-Length")
        }
        var index = start
        while index <= end {
            var elementEnd = index
            while elementEnd < end && bytes[elementEnd] != ASCII.comma { elementEnd &+= 1 }
            var first = index
            var last = elementEnd
            while first < last && CharacterClass.isWhitespace(bytes[first]) { first &+= 1 }
            while last > first && CharacterClass.isWhitespace(bytes[last &- 1]) { last &-= 1 }
            if first == last {
                throw HTTP1Error(.invalidContentLength, offset: streamOffset &+ first,
                                 detail: "empty element in Content-Length")
            }
            var value = 0
            for position in first..<last {
                let digit = bytes[position] &- ASCII.zero
                guard digit < 10 else {
                    throw HTTP1Error(.invalidContentLength, offset: streamOffset &+ position, byte: bytes[position],
                                     detail: "Content-Length is not a decimal number")
                }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(digit))
                guard !overflow1 && !overflow2 else {
                    throw HTTP1Error(.invalidContentLength, offset: streamOffset &+ position,
                                     detail: "Content-Length overflows")
                }
                value = sum
            }
            if let known = contentLength, known != value {
                throw HTTP1Error(.invalidContentLength, offset: streamOffset &+ first,
                                 detail: "Content-Length values differ (\(known) and \(value))")
            }
            contentLength = value
            index = elementEnd &+ 1
        }
    }

    /// Whether the connection may carry another message after this one (RFC 9112 §9.3), before the
    /// framing is taken into account.
    func isPersistent(_ version: HTTP1Version) -> Bool {
        if connectionClose { return false }
        if version.isAtLeastHTTP11 { return true }
        return connectionKeepAlive
    }
}
