/// Reads one head (start line, field lines, empty line) from the front of the input, line by line,
/// resuming where it stopped when more bytes arrive.
///
/// Complete lines are validated as they are found; an unfinished line is only checked against its
/// first byte and its length. Checks run in the same order whatever the byte split: per field line,
/// first its first two bytes (obs-fold, bare CR), then its own length, then the total head size, then its CR LF,
/// then the field count, then its syntax. That makes the outcome (including
/// which error) independent of how the input was split. Memory is bounded by `maxHeadSize` plus one
/// line.
struct HeadScanner {
    var cursor = LineCursor()
    var sawStartLine = false
    var startLine = StartLine()
    var entries: [HTTP1Fields.Entry] = []
    var facts = FramingFacts()

    mutating func reset() {
        cursor.reset()
        sawStartLine = false
        entries.removeAll(keepingCapacity: true)
        facts = FramingFacts()
    }

    /// Scans `bytes[0..<count]` (the head starts at 0) and returns the head's length once its empty
    /// line has been read, or nil when more bytes are needed.
    mutating func scan(
        _ bytes: UnsafePointer<UInt8>, _ count: Int, isResponse: Bool, limits: HTTP1Limits,
        allowsBareLineFeed: Bool, streamOffset: Int
    ) throws(HTTP1Error) -> Int? {
        while true {
            if sawStartLine && cursor.searchFrom == cursor.lineStart,
               try fastFieldLine(bytes, count, isResponse: isResponse, limits: limits, streamOffset: streamOffset) {
                continue
            }
            guard let line = cursor.nextLine(bytes, count) else { break }
            let length = line.length
            if !sawStartLine {
                if length > limits.maxStartLineLength {
                    throw HTTP1Error(.startLineTooLong, offset: streamOffset &+ line.start,
                                     detail: "start line longer than \(limits.maxStartLineLength) bytes")
                }
                try checkHeadSize(line.next, limits, streamOffset)
                try line.checkTerminator(allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset)
                if isResponse {
                    try startLine.parseStatusLine(bytes, start: line.start, end: line.end, streamOffset: streamOffset)
                } else {
                    try startLine.parseRequestLine(bytes, start: line.start, end: line.end, streamOffset: streamOffset)
                }
                sawStartLine = true
                continue
            }
            try FieldLine.checkLineStart(bytes, start: line.start, available: line.next, streamOffset: streamOffset)
            if length > limits.maxFieldLineLength {
                throw HTTP1Error(.fieldLineTooLong, offset: streamOffset &+ line.start,
                                 detail: "field line longer than \(limits.maxFieldLineLength) bytes")
            }
            try checkHeadSize(line.next, limits, streamOffset)
            try line.checkTerminator(allowsBareLineFeed: allowsBareLineFeed, streamOffset: streamOffset)
            if line.isEmpty { return line.next }
            if entries.count >= limits.maxFieldCount {
                throw HTTP1Error(.tooManyHeaders, offset: streamOffset &+ line.start,
                                 detail: "more than \(limits.maxFieldCount) fields")
            }
            let entry = try FieldLine.parse(bytes, start: line.start, end: line.end, origin: 0,
                                            streamOffset: streamOffset)
            entries.append(entry)
            try facts.inspect(bytes, nameStart: Int(entry.nameStart), nameEnd: Int(entry.nameEnd),
                              valueStart: Int(entry.valueStart), valueEnd: Int(entry.valueEnd),
                              isResponse: isResponse, streamOffset: streamOffset)
        }
        // The line is unfinished: only its first bytes and its length can be judged (its last byte may be
        // the CR).
        if sawStartLine {
            try FieldLine.checkLineStart(bytes, start: cursor.lineStart, available: count, streamOffset: streamOffset)
        }
        if sawStartLine {
            if cursor.pendingLength(count) > limits.maxFieldLineLength {
                throw HTTP1Error(.fieldLineTooLong, offset: streamOffset &+ cursor.lineStart,
                                 detail: "field line longer than \(limits.maxFieldLineLength) bytes")
            }
        } else if cursor.pendingLength(count) > limits.maxStartLineLength {
            throw HTTP1Error(.startLineTooLong, offset: streamOffset &+ cursor.lineStart,
                             detail: "start line longer than \(limits.maxStartLineLength) bytes")
        }
        return nil
    }

    /// One pass over a complete, valid field line at the cursor: name, colon, value up to its CR LF. It
    /// accepts only lines that pass every check of the general path (and records the same offsets);
    /// anything else — an unfinished line, a limit, an invalid byte — returns false and the general path
    /// decides, so both paths give the same outcome.
    @inline(__always)
    private mutating func fastFieldLine(
        _ bytes: UnsafePointer<UInt8>, _ count: Int, isResponse: Bool, limits: HTTP1Limits, streamOffset: Int
    ) throws(HTTP1Error) -> Bool {
        let table = CharacterClass.table
        let start = cursor.lineStart
        var index = start
        while index < count && table[Int(bytes[index])] & CharacterClass.token != 0 { index &+= 1 }
        guard index > start, index < count, bytes[index] == ASCII.colon else { return false }
        let nameEnd = index
        index &+= 1
        while index < count && CharacterClass.isWhitespace(bytes[index]) { index &+= 1 }
        let valueStart = index
        let stop = CharacterClass.firstInvalidFieldValueByte(bytes, from: index, to: count)
        guard stop &+ 1 < count, bytes[stop] == ASCII.cr, bytes[stop &+ 1] == ASCII.lf,
              stop &- start <= limits.maxFieldLineLength, stop &+ 2 <= limits.maxHeadSize,
              entries.count < limits.maxFieldCount else { return false }
        var valueEnd = stop
        while valueEnd > valueStart && CharacterClass.isWhitespace(bytes[valueEnd &- 1]) { valueEnd &-= 1 }
        entries.append(HTTP1Fields.Entry(
            nameStart: UInt32(truncatingIfNeeded: start), nameEnd: UInt32(truncatingIfNeeded: nameEnd),
            valueStart: UInt32(truncatingIfNeeded: valueStart), valueEnd: UInt32(truncatingIfNeeded: valueEnd)))
        try facts.inspect(bytes, nameStart: start, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd,
                          isResponse: isResponse, streamOffset: streamOffset)
        cursor.lineStart = stop &+ 2
        cursor.searchFrom = stop &+ 2
        return true
    }

    @inline(__always)
    private func checkHeadSize(_ end: Int, _ limits: HTTP1Limits, _ streamOffset: Int) throws(HTTP1Error) {
        if end > limits.maxHeadSize {
            throw HTTP1Error(.headerTooLarge, offset: streamOffset,
                             detail: "head larger than \(limits.maxHeadSize) bytes")
        }
    }
}
