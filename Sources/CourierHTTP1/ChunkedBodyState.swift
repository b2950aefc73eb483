import CourierCore

/// Removes the chunked transfer coding (RFC 9112 §7.1) from the front of an input buffer.
///
/// ```
/// chunked-body   = *chunk last-chunk trailer-section CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// chunk-size     = 1*HEXDIG
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// ```
/// Chunk data is handed out as slices of the input (no copy). A chunk-size line is read whole; before
/// its LF arrives only its length is judged (against the extension budget), and once it is complete
/// the checks run in a fixed order (length, digits, extension budget, terminator, extension syntax),
/// so the outcome does not depend on how the input was split. Sizes with signs, whitespace before
/// CRLF, more than 32 digits or a value above `Int.max` are rejected; BWS before `;` is accepted as the
/// grammar allows. Extensions are validated and then ignored. The trailer section is parsed like a
/// head's fields and returned.
struct ChunkedBodyState {
    enum Phase { case size, data, dataEnd, trailers }

    /// What one step produced.
    enum Step {
        case data(ByteBuffer)
        case end(HTTP1Fields?)
        case needMore
    }

    static let maxSizeDigits = 32

    var phase = Phase.size
    var remaining = 0
    var cursor = LineCursor()
    /// Extension bytes seen so far in this message (counted against `maxChunkExtensionSize`).
    var extensionBytes = 0
    var trailerEntries: [HTTP1Fields.Entry] = []

    /// Prepares for the next message's body.
    mutating func reset() {
        phase = .size
        remaining = 0
        cursor.reset()
        extensionBytes = 0
        trailerEntries.removeAll(keepingCapacity: true)
    }

    /// Decodes as far as the buffered bytes allow and returns the next step.
    @inline(__always)
    mutating func next(
        _ input: inout InputBuffer, limits: HTTP1Limits, allowsBareLineFeed: Bool
    ) throws(HTTP1Error) -> Step {
        while true {
            switch phase {
            case .size, .dataEnd:
                // Fast path, one pass: the CRLF that ends the previous chunk's data, then a plain size line.
                let fast = input.withBytes { bytes, count in
                    Self.scanChunkHeader(bytes, count, afterData: phase == .dataEnd, allowsBareLineFeed: allowsBareLineFeed)
                }
                if fast.terminatorLength < 0 { return .needMore }
                if fast.terminatorLength > 0 {
                    if let code = fast.terminatorError {
                        throw Self.terminatorError(code, input: input)
                    }
                    input.consume(fast.terminatorLength)
                    cursor.reset()
                    phase = .size
                }
                let size: Int
                if fast.headerLength > 0 {
                    input.consume(fast.headerLength)
                    cursor.reset()
                    size = fast.size
                } else {
                    // Anything else (extensions, incomplete line, errors) takes the general path.
                    guard let parsed = try readSizeLine(&input, limits: limits, allowsBareLineFeed: allowsBareLineFeed)
                    else { return .needMore }
                    size = parsed
                }
                if size == 0 {
                    phase = .trailers
                } else {
                    remaining = size
                    phase = .data
                }
            case .data:
                let available = input.readable
                if available == 0 { return .needMore }
                let count = min(available, remaining)
                remaining &-= count
                if remaining == 0 { phase = .dataEnd }
                return .data(input.take(count))
            case .trailers:
                guard let length = try readTrailers(&input, limits: limits, allowsBareLineFeed: allowsBareLineFeed)
                else { return .needMore }
                let trailers = trailerEntries.isEmpty
                    ? nil : HTTP1Fields(storage: input.peek(at: 0, count: length), entries: trailerEntries)
                input.consume(length)
                reset()
                return .end(trailers)
            }
        }
    }

    /// What `scanChunkHeader` found.
    struct HeaderScan {
        /// Bytes of the CRLF after chunk data (0 when not expected, -1 when more bytes are needed).
        var terminatorLength = 0
        /// Set when those bytes are not a valid CRLF (the error is thrown at their offset).
        var terminatorError: HTTP1Error.Code?
        /// Length of a plain `HEXDIG{1,15} CRLF` size line after the terminator, or 0 when the line needs
        /// the general path.
        var headerLength = 0
        var size = 0
    }

    /// Checks the CRLF after chunk data (when `afterData`) and tries to read a plain size line after it.
    /// The plain line is accepted only when the general path would accept it too, so both give the same
    /// outcome for every input and every split.
    @inline(__always)
    static func scanChunkHeader(
        _ bytes: UnsafePointer<UInt8>, _ count: Int, afterData: Bool, allowsBareLineFeed: Bool
    ) -> HeaderScan {
        var scan = HeaderScan()
        var position = 0
        if afterData {
            guard count >= 1 else { return HeaderScan(terminatorLength: -1) }
            let first = bytes[0]
            if first == ASCII.cr {
                guard count >= 2 else { return HeaderScan(terminatorLength: -1) }
                if bytes[1] != ASCII.lf { return HeaderScan(terminatorLength: 2, terminatorError: .bareCarriageReturn) }
                position = 2
            } else if first == ASCII.lf {
                if !allowsBareLineFeed { return HeaderScan(terminatorLength: 1, terminatorError: .bareLineFeed) }
                position = 1
            } else {
                return HeaderScan(terminatorLength: 1, terminatorError: .invalidChunkTerminator)
            }
            scan.terminatorLength = position
        }
        let table = CharacterClass.table
        var index = position
        var size = 0
        while index < count && index &- position < 16 && table[Int(bytes[index])] & CharacterClass.hexDigit != 0 {
            let byte = bytes[index]
            let digit = byte <= UInt8(ascii: "9") ? byte &- ASCII.zero : (byte | 0x20) &- UInt8(ascii: "a") &+ 10
            size = size << 4 | Int(digit)
            index &+= 1
        }
        let digits = index &- position
        if digits > 0 && digits < 16 && index &+ 1 < count && bytes[index] == ASCII.cr && bytes[index &+ 1] == ASCII.lf {
            scan.headerLength = index &+ 2 &- position
            scan.size = size
        }
        return scan
    }

    static func terminatorError(_ code: HTTP1Error.Code, input: InputBuffer) -> HTTP1Error {
        switch code {
        case .bareCarriageReturn:
            return HTTP1Error(code, offset: input.consumed, byte: ASCII.cr, detail: "CR after chunk data not followed by LF")
        case .bareLineFeed:
            return HTTP1Error(code, offset: input.consumed, byte: ASCII.lf, detail: "chunk data ended by LF without CR")
        default:
            return HTTP1Error(code, offset: input.consumed, byte: input.byte(at: 0),
                              detail: "chunk data longer than its size, or not followed by CRLF")
        }
    }

    /// Reads a complete chunk-size line and returns the size, or nil when its LF has not arrived.
    private mutating func readSizeLine(
        _ input: inout InputBuffer, limits: HTTP1Limits, allowsBareLineFeed: Bool
    ) throws(HTTP1Error) -> Int? {
        let budget = limits.maxChunkExtensionSize &- extensionBytes
        let streamOffset = input.consumed
        let outcome: Result<(size: Int, next: Int)?, HTTP1Error> = input.withBytes { bytes, count in
            do throws(HTTP1Error) {
                guard let line = cursor.nextLine(bytes, count) else {
                    if cursor.pendingLength(count) > Self.maxSizeDigits &+ budget {
                        throw HTTP1Error(.chunkExtensionTooLong, offset: streamOffset,
                                         detail: "chunk extensions longer than \(limits.maxChunkExtensionSize) bytes")
                    }
                    return .success(nil)
                }
                let size = try parseSizeLine(bytes, line, budget: budget, limits: limits,
                                             allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset)
                return .success((size, line.next))
            } catch {
                return .failure(error)
            }
        }
        guard let found = try outcome.get() else { return nil }
        input.consume(found.next)
        cursor.reset()
        return found.size
    }

    private mutating func parseSizeLine(
        _ bytes: UnsafePointer<UInt8>, _ line: LineCursor.Line, budget: Int, limits: HTTP1Limits,
        allowsBareLineFeed: Bool, streamOffset: Int
    ) throws(HTTP1Error) -> Int {
        if line.length > Self.maxSizeDigits &+ budget {
            throw HTTP1Error(.chunkExtensionTooLong, offset: streamOffset,
                             detail: "chunk extensions longer than \(limits.maxChunkExtensionSize) bytes")
        }
        let table = CharacterClass.table
        var index = line.start
        var size = 0
        while index < line.end && table[Int(bytes[index])] & CharacterClass.hexDigit != 0 {
            guard index &- line.start < Self.maxSizeDigits, size <= Int.max >> 4 else {
                throw HTTP1Error(.invalidChunkSize, offset: streamOffset &+ index, detail: "chunk size overflows")
            }
            let byte = bytes[index]
            let digit = byte <= UInt8(ascii: "9") ? byte &- ASCII.zero : (byte | 0x20) &- UInt8(ascii: "a") &+ 10
            size = size << 4 | Int(digit)
            index &+= 1
        }
        if index == line.start {
            throw FieldLine.invalid(.invalidChunkSize, bytes, at: index, end: line.end, streamOffset: streamOffset,
                                    detail: "missing chunk size")
        }
        let extensionLength = line.end &- index
        if extensionLength > budget {
            throw HTTP1Error(.chunkExtensionTooLong, offset: streamOffset &+ index,
                             detail: "chunk extensions longer than \(limits.maxChunkExtensionSize) bytes")
        }
        extensionBytes &+= extensionLength
        try line.checkTerminator(allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset)
        if extensionLength > 0 {
            try Self.validateExtensions(bytes, from: index, to: line.end, streamOffset: streamOffset)
        }
        return size
    }

    /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )` over `start..<end`.
    static func validateExtensions(
        _ bytes: UnsafePointer<UInt8>, from start: Int, to end: Int, streamOffset: Int
    ) throws(HTTP1Error) {
        let table = CharacterClass.table
        var index = start
        var first = true
        func fail(_ code: HTTP1Error.Code, _ detail: String) -> HTTP1Error {
            FieldLine.invalid(code, bytes, at: index, end: end, streamOffset: streamOffset, detail: detail)
        }
        func skipWhitespace() {
            while index < end && CharacterClass.isWhitespace(bytes[index]) { index &+= 1 }
        }
        while index < end {
            skipWhitespace()
            guard index < end, bytes[index] == ASCII.semicolon else {
                // Whatever directly follows the digits and is not an extension belongs to a bad size.
                throw fail(first ? .invalidChunkSize : .invalidChunkExtension, "expected ';' before a chunk extension")
            }
            first = false
            index &+= 1
            skipWhitespace()
            let name = index
            while index < end && table[Int(bytes[index])] & CharacterClass.token != 0 { index &+= 1 }
            if index == name { throw fail(.invalidChunkExtension, "empty chunk extension name") }
            let afterName = index
            skipWhitespace()
            guard index < end, bytes[index] == ASCII.equals else {
                index = afterName
                continue
            }
            index &+= 1
            skipWhitespace()
            if index < end && bytes[index] == ASCII.quote {
                index &+= 1
                while true {
                    guard index < end else { throw fail(.invalidChunkExtension, "unterminated quoted string") }
                    let byte = bytes[index]
                    if byte == ASCII.quote { index &+= 1; break }
                    if byte == ASCII.backslash {
                        index &+= 1
                        guard index < end, table[Int(bytes[index])] & CharacterClass.fieldValue != 0 else {
                            throw fail(.invalidChunkExtension, "invalid quoted pair")
                        }
                    } else if table[Int(byte)] & CharacterClass.quotedText == 0 {
                        throw fail(.invalidChunkExtension, "invalid byte in quoted string")
                    }
                    index &+= 1
                }
            } else {
                let value = index
                while index < end && table[Int(bytes[index])] & CharacterClass.token != 0 { index &+= 1 }
                if index == value { throw fail(.invalidChunkExtension, "empty chunk extension value") }
            }
        }
    }

    /// Reads the trailer section through its empty line; returns its length, or nil when incomplete.
    private mutating func readTrailers(
        _ input: inout InputBuffer, limits: HTTP1Limits, allowsBareLineFeed: Bool
    ) throws(HTTP1Error) -> Int? {
        let streamOffset = input.consumed
        let outcome: Result<Int?, HTTP1Error> = input.withBytes { bytes, count in
            do throws(HTTP1Error) {
                while let line = cursor.nextLine(bytes, count) {
                    try FieldLine.checkLineStart(bytes, start: line.start, available: line.next, streamOffset: streamOffset)
                    if line.length > limits.maxFieldLineLength {
                        throw HTTP1Error(.fieldLineTooLong, offset: streamOffset &+ line.start,
                                         detail: "trailer line longer than \(limits.maxFieldLineLength) bytes")
                    }
                    if line.next > limits.maxTrailerSize {
                        throw HTTP1Error(.trailersTooLarge, offset: streamOffset,
                                         detail: "trailer section larger than \(limits.maxTrailerSize) bytes")
                    }
                    try line.checkTerminator(allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset)
                    if line.isEmpty { return .success(line.next) }
                    if trailerEntries.count >= limits.maxFieldCount {
                        throw HTTP1Error(.tooManyHeaders, offset: streamOffset &+ line.start,
                                         detail: "more than \(limits.maxFieldCount) trailer fields")
                    }
                    trailerEntries.append(try FieldLine.parse(bytes, start: line.start, end: line.end, origin: 0,
                                                              streamOffset: streamOffset))
                }
                try FieldLine.checkLineStart(bytes, start: cursor.lineStart, available: count, streamOffset: streamOffset)
                if cursor.pendingLength(count) > limits.maxFieldLineLength {
                    throw HTTP1Error(.fieldLineTooLong, offset: streamOffset &+ cursor.lineStart,
                                     detail: "trailer line longer than \(limits.maxFieldLineLength) bytes")
                }
                return .success(nil)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
