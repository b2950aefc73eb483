import HTTPTypes
import Testing
@testable import CourierTransport

@Suite struct ResponseFieldCacheTests {
    /// Field lines given as strings.
    private struct Lines: ReceivedFieldLines {
        let lines: [(String, String)]
        var lineCount: Int { lines.count }

        func withLine<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
            var (name, value) = lines[index]
            return name.withUTF8 { name in value.withUTF8 { body(UnsafeRawBufferPointer(name), UnsafeRawBufferPointer($0)) } }
        }
    }

    /// The fields for `lines` through `cache`, as a connection builds a response's fields.
    private func fields(_ lines: [(String, String)], _ cache: inout ResponseFieldCache) -> HTTPFields {
        cache.fields(of: Lines(lines: lines))
    }

    /// Names repeat by position from one response to the next; a different name at a position replaces it,
    /// spelling (case) included, and names that are not tokens are skipped.
    @Test func namesAreReusedOnlyWhenTheyRepeatExactly() {
        var cache = ResponseFieldCache()
        let first = fields([("Content-Type", "text/plain"), ("Content-Length", "5"), ("X-A", "1")], &cache)
        #expect(first.map(\.name.rawName) == ["Content-Type", "Content-Length", "X-A"])
        #expect(first[.contentLength] == "5")

        let second = fields([("content-type", "a/b"), ("Content-Length", "7"), ("Bad Name", "x")], &cache)
        #expect(second.map(\.name.rawName) == ["content-type", "Content-Length"])
        #expect(second[.contentType] == "a/b")
        #expect(second[.contentLength] == "7")

        let third = fields([("content-type", "c/d"), ("Content-Length", "9"), ("X-B", "2"), ("X-C", "3")], &cache)
        #expect(third.map(\.name.rawName) == ["content-type", "Content-Length", "X-B", "X-C"])
        #expect(third[HTTPField.Name("x-b")!] == "2")
    }

    /// A field whose name and value bytes repeat is the cached one; a value that differs in any byte (or in
    /// length) is read anew, and so is one that the cached field holds only after legalizing.
    @Test func valuesAreReusedOnlyWhenTheirBytesRepeat() {
        var cache = ResponseFieldCache()
        _ = fields([("Server", "nginx"), ("Date", "Fri, 27 Nov 2026 10:49:46 GMT"), ("X-Pad", " padded ")], &cache)
        let again = fields([("Server", "nginx"), ("Date", "Fri, 27 Nov 2026 10:49:47 GMT"), ("X-Pad", " padded ")], &cache)
        #expect(again[.server] == "nginx")
        #expect(again[.date] == "Fri, 27 Nov 2026 10:49:47 GMT")
        #expect(again[HTTPField.Name("x-pad")!] == "padded")
        let shorter = fields([("Server", "ngin"), ("Date", "Fri, 27 Nov 2026 10:49:47 GMT")], &cache)
        #expect(shorter[.server] == "ngin")
        #expect(shorter.count == 2)
        let nonASCII = fields([("Server", "caf\u{E9}")], &cache)
        #expect(nonASCII[.server] == "caf\u{E9}")
    }

    @Test func invalidNamesAreRejectedEvenAtACachedPosition() {
        var cache = ResponseFieldCache()
        #expect(fields([("Server", "a")], &cache)[.server] == "a")
        #expect(fields([("Ser ver", "a")], &cache).isEmpty)
        #expect(fields([("", "a")], &cache).isEmpty)
        #expect(fields([("Server", "a")], &cache).map(\.name.rawName) == ["Server"])
    }

    /// A head that repeats whole is the previous one's fields; one differing field, one field fewer or more,
    /// or a skipped line makes new fields with the right contents.
    @Test func repeatedHeadsShareTheirFields() {
        var cache = ResponseFieldCache()
        let lines = [("Server", "nginx"), ("Content-Length", "5")]
        let first = fields(lines, &cache)
        var second = fields(lines, &cache)
        #expect(second == first)
        second[.server] = "changed"
        #expect(fields(lines, &cache)[.server] == "nginx")
        #expect(fields([("Server", "nginx"), ("Content-Length", "6")], &cache)[.contentLength] == "6")
        #expect(fields([("Server", "nginx")], &cache).count == 1)
        #expect(fields(lines, &cache).count == 2)
        #expect(fields(lines + [("Bad Name", "x")], &cache).count == 2)
        #expect(fields(lines + [("Bad Name", "x")], &cache).count == 2)
        #expect(fields(lines + [("X-More", "1")], &cache).count == 3)
    }

    /// Repeats are judged on the received bytes: a value the field legalizes (trimmed here) and a line with an
    /// empty name repeat like any other, and a value that changes in one byte, at any position, does not.
    @Test func repeatsAreJudgedOnReceivedBytes() {
        var cache = ResponseFieldCache()
        let lines = [("", "x"), ("X-Pad", " padded "), ("ETag", "\"abc\"")]
        for _ in 0..<2 {
            let built = fields(lines, &cache)
            #expect(built.map(\.name.rawName) == ["X-Pad", "ETag"])
            #expect(built[HTTPField.Name("x-pad")!] == "padded")
        }
        #expect(fields([("", "x"), ("X-Pad", " padded "), ("ETag", "\"abd\"")], &cache)[.eTag] == "\"abd\"")
        #expect(fields([("", "y"), ("X-Pad", " padded "), ("ETag", "\"abd\"")], &cache).count == 2)
        #expect(fields([("X", "x"), ("X-Pad", " padded "), ("ETag", "\"abd\"")], &cache).count == 3)
    }

    /// Positions past the capacity are built every time and never cached.
    @Test func headsLongerThanTheCapacityKeepWorking() {
        var cache = ResponseFieldCache()
        let lines = (0..<(ResponseFieldCache.capacity + 8)).map { ("X-F\($0)", "\($0)") }
        for _ in 0..<2 {
            let built = fields(lines, &cache)
            #expect(built.count == lines.count)
            #expect(built.last?.value == "\(lines.count - 1)")
        }
    }
}
