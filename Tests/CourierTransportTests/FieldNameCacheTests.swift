import HTTPTypes
import Testing
@testable import CourierTransport

@Suite struct FieldNameCacheTests {
    /// Names repeat by position from one response to the next; a different name at a position replaces it,
    /// spelling (case) included, and names that are not tokens are skipped.
    @Test func namesAreReusedOnlyWhenTheyRepeatExactly() {
        var cache = FieldNameCache()
        let first = cache.fields(count: 3) { [("Content-Type", "text/plain"), ("Content-Length", "5"), ("X-A", "1")][$0] }
        #expect(first.map(\.name.rawName) == ["Content-Type", "Content-Length", "X-A"])
        #expect(first[.contentLength] == "5")

        let second = cache.fields(count: 3) { [("content-type", "a/b"), ("Content-Length", "7"), ("Bad Name", "x")][$0] }
        #expect(second.map(\.name.rawName) == ["content-type", "Content-Length"])
        #expect(second[.contentType] == "a/b")
        #expect(second[.contentLength] == "7")

        let third = cache.fields(count: 4) { [("content-type", "c/d"), ("Content-Length", "9"), ("X-B", "2"), ("X-C", "3")][$0] }
        #expect(third.map(\.name.rawName) == ["content-type", "Content-Length", "X-B", "X-C"])
        #expect(third[HTTPField.Name("x-b")!] == "2")
    }

    @Test func invalidNamesAreRejectedEvenAtACachedPosition() {
        var cache = FieldNameCache()
        #expect(cache.name("Server", at: 0)?.canonicalName == "server")
        #expect(cache.name("Ser ver", at: 0) == nil)
        #expect(cache.name("", at: 0) == nil)
        #expect(cache.name("Server", at: 0)?.rawName == "Server")
    }
}
