import CourierCore
import CourierHTTP1
import Testing

/// Every limit has a default, is enforced while bytes arrive (not after buffering everything), and
/// fails with its own typed error at every split.
@Suite struct LimitsTests {
    static let small = HTTP1Limits(maxStartLineLength: 64, maxFieldLineLength: 64, maxHeadSize: 256,
                                   maxFieldCount: 4, maxChunkExtensionSize: 32, maxTrailerSize: 64)

    func response(_ text: String) -> ParseOutcome {
        let bytes = Array(text.utf8)
        return expectSplitInvariant(bytes, String(text.prefix(60)).debugDescription) { splits in
            parseResponses(bytes, splits: splits, limits: Self.small)
        }
    }

    @Test func defaults() {
        let limits = HTTP1Limits()
        #expect(limits.maxStartLineLength == 8192 && limits.maxFieldLineLength == 16384)
        #expect(limits.maxHeadSize == 65536 && limits.maxFieldCount == 256)
        #expect(limits.maxChunkExtensionSize == 16384 && limits.maxTrailerSize == 16384)
    }

    @Test func headLimits() {
        let longReason = String(repeating: "r", count: 60)
        #expect(response("HTTP/1.1 200 \(longReason)\r\n\r\n").error?.code == .startLineTooLong)
        #expect(response("HTTP/1.1 200 \(longReason)").error?.code == .startLineTooLong) // before its CRLF
        let longValue = String(repeating: "v", count: 64)
        #expect(response("HTTP/1.1 200 OK\r\nX: \(longValue)\r\n\r\n").error?.code == .fieldLineTooLong)
        #expect(response("HTTP/1.1 200 OK\r\nX: \(longValue)").error?.code == .fieldLineTooLong)
        let atLimit = String(repeating: "v", count: 61) // "X: " + 61 = 64 bytes
        #expect(response("HTTP/1.1 200 OK\r\nX: \(atLimit)\r\nContent-Length: 0\r\n\r\n").error == nil)
        let fields = (0..<5).map { "F\($0): v\r\n" }.joined()
        #expect(response("HTTP/1.1 200 OK\r\n\(fields)\r\n").error?.code == .tooManyHeaders)
        let big = (0..<4).map { "F\($0): \(String(repeating: "x", count: 55))\r\n" }.joined()
        #expect(response("HTTP/1.1 200 OK\r\n\(big)\r\n").error?.code == .headerTooLarge)
    }

    @Test func chunkExtensionLimitCountsEveryChunk() {
        let oneLong = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 40)
        #expect(response(oneLong + "\r\nx\r\n0\r\n\r\n").error?.code == .chunkExtensionTooLong)
        // Before its CRLF a chunk line is cut off at 32 size digits plus the extension budget.
        #expect(response(oneLong).error == nil)
        #expect(response(oneLong + String(repeating: "e", count: 30)).error?.code == .chunkExtensionTooLong)
        // Many small extensions add up: the flood of tiny chunks is bounded too.
        let many = (0..<5).map { _ in "1;abcdefg\r\nx\r\n" }.joined()
        #expect(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + many + "0\r\n\r\n").error?.code
                == .chunkExtensionTooLong)
        let few = (0..<3).map { _ in "1;abcdefg\r\nx\r\n" }.joined()
        #expect(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + few + "0\r\n\r\n").error == nil)
    }

    @Test func trailerLimits() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
        let trailers = (0..<3).map { "T\($0): \(String(repeating: "t", count: 20))\r\n" }.joined()
        #expect(response(head + trailers + "\r\n").error?.code == .trailersTooLarge)
        let count = (0..<5).map { "T\($0): t\r\n" }.joined()
        #expect(response(head + count + "\r\n").error?.code == .tooManyHeaders)
        #expect(response(head + "T: " + String(repeating: "t", count: 70)).error?.code == .fieldLineTooLong)
    }

    @Test func errorsSayTheyAreLimits() {
        let error = response("HTTP/1.1 200 OK\r\n" + (0..<5).map { "F\($0): v\r\n" }.joined() + "\r\n").error
        #expect(error?.isLimitExceeded == true && error?.isTruncation == false)
    }
}
