#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks the CRLF-terminated lines of a head, chunk header or trailer section, resumably.
///
/// Lines are found with `memchr` for LF, resuming where the last search stopped, so bytes arriving one
/// at a time are each searched once. RFC 9112 §2.2: a line must end in CR LF. Whether a bare LF is
/// acceptable is for the caller to decide (`Line.checkTerminator`), after its length checks, so the
/// order of checks is the same whether or not the LF has arrived yet. A CR anywhere else in a line
/// shows up as an invalid byte of the line's content.
struct LineCursor {
    /// Start of the line being looked for, relative to the buffer's reader index.
    var lineStart = 0
    /// Where the next LF search starts.
    var searchFrom = 0

    /// A complete line: its content is `start..<end` (CR LF excluded); the next line starts at `next`.
    struct Line {
        var start: Int
        var end: Int
        var next: Int
        /// The line ended with LF alone.
        var bareLineFeed: Bool
        var isEmpty: Bool { start == end }
        var length: Int { end &- start }

        /// Throws unless the line ended in CR LF (or bare LFs are allowed).
        @inline(__always)
        func checkTerminator(allowsBareLineFeed: Bool, streamOffset: Int) throws(HTTP1Error) {
            if bareLineFeed && !allowsBareLineFeed {
                throw HTTP1Error(.bareLineFeed, offset: streamOffset &+ end, byte: ASCII.lf,
                                 detail: "line ends in LF without CR")
            }
        }
    }

    /// The next complete line in `bytes[0..<count]`, or nil when its LF has not arrived yet.
    @inline(__always)
    mutating func nextLine(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Line? {
        guard searchFrom < count,
              let found = memchr(bytes + searchFrom, Int32(ASCII.lf), count &- searchFrom) else {
            searchFrom = count
            return nil
        }
        let lf = UnsafeRawPointer(found) - UnsafeRawPointer(bytes)
        let hasCR = lf > lineStart && bytes[lf &- 1] == ASCII.cr
        let line = Line(start: lineStart, end: hasCR ? lf &- 1 : lf, next: lf &+ 1, bareLineFeed: !hasCR)
        lineStart = lf &+ 1
        searchFrom = lineStart
        return line
    }

    /// A lower bound of the unfinished line's content length (its last byte may be the CR).
    func pendingLength(_ count: Int) -> Int { count &- lineStart &- 1 }

    mutating func reset() {
        lineStart = 0
        searchFrom = 0
    }
}
