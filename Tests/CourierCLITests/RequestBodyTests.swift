import CourierTestSupport
import Foundation
import Testing

/// Request bodies from `-d`, `--data-binary` and `--data-raw` reach the server byte for byte (checked on a
/// peer that records the request as received).
@Suite(.enabled(if: CLI.isBuilt)) struct RequestBodyTests {
    static let okResponse = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)

    /// Runs courier against a recording peer and returns the request's head (as text) and body.
    func send(_ arguments: [String], input: [UInt8]? = nil) async throws -> (head: String, body: [UInt8], result: CLI.Result) {
        let peer = try ScriptedPeer(response: Self.okResponse)
        defer { peer.stop() }
        let result = try await CLI.run(arguments + ["http://127.0.0.1:\(peer.port)/upload"], input: input)
        let request = peer.request
        let end = try #require(request.indices.dropLast(3).first { request[$0...].starts(with: [13, 10, 13, 10]) })
        return (String(decoding: request[..<end], as: UTF8.self), Array(request[(end + 4)...]), result)
    }

    @Test(arguments: ["-d", "--data-binary"])
    func fileDataIsSentUnchanged(option: String) async throws {
        let scratch = try TemporaryDirectory()
        // Every byte value, CR, LF and NUL included, across several read chunks.
        let bytes = testBytes(count: 700_001)
        let path = try scratch.file("payload.bin", bytes)
        let (head, body, result) = try await send([option, "@" + path])
        #expect(result.status == 0)
        #expect(result.outputText == "ok")
        #expect(head.hasPrefix("POST /upload HTTP/1.1\r\n"))
        #expect(head.lowercased().contains("\r\ncontent-length: 700001"))
        #expect(head.lowercased().contains("\r\ncontent-type: application/x-www-form-urlencoded"))
        #expect(body == bytes)
    }

    @Test func standardInputIsSentUnchanged() async throws {
        let bytes = testBytes(count: 100_000, seed: 7)
        let (_, body, result) = try await send(["--data-binary", "@-"], input: bytes)
        #expect(result.status == 0)
        #expect(body == bytes)
    }

    @Test func repeatedPiecesAreJoinedWithAmpersands() async throws {
        let (head, body, result) = try await send(["-d", "a=1", "-d", "b=two words", "-X", "PUT",
                                                   "-H", "Content-Type: text/plain"])
        #expect(result.status == 0)
        #expect(head.hasPrefix("PUT /upload HTTP/1.1\r\n"))
        #expect(head.lowercased().contains("\r\ncontent-type: text/plain"))
        #expect(!head.lowercased().contains("x-www-form-urlencoded"))
        #expect(String(decoding: body, as: UTF8.self) == "a=1&b=two words")
    }

    @Test func rawDataKeepsItsAtSign() async throws {
        let (_, body, result) = try await send(["--data-raw", "@not-a-file"])
        #expect(result.status == 0)
        #expect(String(decoding: body, as: UTF8.self) == "@not-a-file")
    }

    @Test func repeatedHeaderOptionsAreAllSent() async throws {
        let (head, _, result) = try await send(["-H", "X-Tag: one", "-H", "X-Tag: two", "-H", "X-Empty;", "-d", "x"])
        #expect(result.status == 0)
        let lines = head.split(separator: "\r\n").map(String.init)
        #expect(lines.filter { $0.lowercased().hasPrefix("x-tag:") } == ["X-Tag: one", "X-Tag: two"])
        #expect(lines.contains { $0.lowercased() == "x-empty:" || $0.lowercased() == "x-empty: " })
    }

    @Test func anUnreadableDataFileIsAUsageError() async throws {
        let result = try await CLI.run(["-d", "@/nonexistent/file", "http://127.0.0.1:1/"])
        #expect(result.status == 2)
        #expect(result.errors.contains("/nonexistent/file"))
    }
}
