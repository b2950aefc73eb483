import CourierTestSupport
import Foundation
import Testing

/// The `--summary` line is valid JSON whatever the server sends, and reports fields exactly as received.
@Suite(.enabled(if: CLI.isBuilt)) struct SummaryTests {
    @Test func fieldValuesNeedingEscapesRoundTrip() async throws {
        let value = "a\t\"quoted\" back\\slash {json} [x] ü"
        let head = "HTTP/1.1 200 OK\r\nX-Odd: \(value)\r\nx-lower: 1\r\nX-Odd: second\r\nContent-Length: 3\r\n\r\nabc"
        let peer = try ScriptedPeer(response: Array(head.utf8))
        defer { peer.stop() }
        let result = try await CLI.run(["--summary", "-i", "http://127.0.0.1:\(peer.port)/"])
        #expect(result.status == 0)
        let summary = try result.summary()
        let headers = try #require(summary["headers"] as? [[String]])
        #expect(headers == [["X-Odd", value], ["x-lower", "1"], ["X-Odd", "second"], ["Content-Length", "3"]])
        #expect(summary["bodyBytes"] as? Int == 3)
        #expect(summary["bodySha256"] as? String == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // -i writes the head as received: names in their case, fields in order.
        #expect(result.outputText == "HTTP/1.1 200 OK\r\nX-Odd: \(value)\r\nx-lower: 1\r\nX-Odd: second\r\nContent-Length: 3\r\n\r\nabc")
    }

    @Test(arguments: [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 65_537])
    func digestMatchesTheReferenceAtBlockBoundaries(size: Int) async throws {
        let body = testBytes(count: size, seed: UInt64(size) + 11)
        let peer = try ScriptedPeer(response: Array("HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n".utf8) + body)
        defer { peer.stop() }
        let scratch = try TemporaryDirectory()
        let path = scratch.path + "/body"
        let result = try await CLI.run(["--summary", "-o", path, "http://127.0.0.1:\(peer.port)/"])
        #expect(result.status == 0)
        #expect(try result.summary()["bodySha256"] as? String == (try await referenceSHA256(ofFile: path)))
    }

    @Test func summaryIsTheLastLineOfStandardErrorAfterTheErrorMessage() async throws {
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        let result = try await CLI.run(["--summary", "http://127.0.0.1:\(port)/"])
        let lines = result.errors.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("courier: (4) connectFailed: ") == true)
        #expect(lines.last?.hasPrefix("{\"status\":null,\"protocol\":null,\"headers\":[],\"bodyBytes\":0,") == true)
        let silent = try await CLI.run(["-s", "--summary", "http://127.0.0.1:\(port)/"])
        #expect(silent.status == 4)
        #expect(silent.errors.split(separator: "\n").count == 1)
    }
}
