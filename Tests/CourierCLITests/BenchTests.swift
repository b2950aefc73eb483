import CourierTestSupport
import Foundation
import Testing

/// `courier bench` against nginx: the JSON line parses and adds up.
@Suite(.enabled(if: NginxServer.isAvailable && CLI.isBuilt)) struct BenchTests {
    @Test func jsonReportCountsEveryRequest() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["bench", "-c", "3", "-n", "301", "--json", "-t", "2",
                                        "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.outputText.split(separator: "\n")
        #expect(lines.count == 1)
        let report = try jsonObject(String(try #require(lines.first)))
        #expect(report["requests"] as? Int == 301)
        #expect(report["errors"] as? Int == 0)
        #expect(report["protocol"] as? String == "HTTP/1.1")
        #expect(report["connections"] as? Int == 3)
        #expect(report["bodyBytes"] as? Int == 301 * NginxServer.smallBody.utf8.count)
        let seconds = try #require(report["seconds"] as? Double)
        let rps = try #require(report["rps"] as? Double)
        #expect(seconds > 0 && rps > 0)
        #expect(abs(rps * seconds - 301) < 1)
        #expect((report["mbps"] as? Double ?? -1) >= 0)
        let latency = try #require(report["latency_ms"] as? [String: Double])
        let p50 = try #require(latency["p50"]), p99 = try #require(latency["p99"]), max = try #require(latency["max"])
        #expect(p50 > 0 && p50 <= p99 && p99 <= max)
        let status = try #require(report["status"] as? [String: Int])
        #expect(status["2xx"] == 301)
    }

    @Test func http2RunsStreamsPerConnection() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["bench", "--http2-prior-knowledge", "-c", "2", "-m", "8", "-n", "400", "--json",
                                        "http://127.0.0.1:\(nginx.h2cPort)/small"])
        #expect(result.status == 0, "\(result.errors)")
        let report = try jsonObject(result.outputText)
        #expect(report["protocol"] as? String == "HTTP/2")
        #expect(report["connections"] as? Int == 2)
        #expect(report["streams"] as? Int == 8)
        #expect(report["requests"] as? Int == 400)
        #expect(report["errors"] as? Int == 0)
    }

    @Test func statusCodesAreCountedNotErrors() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["bench", "-c", "2", "-n", "20", "--json", "http://127.0.0.1:\(nginx.httpPort)/status/503"])
        #expect(result.status == 0)
        let report = try jsonObject(result.outputText)
        #expect(report["requests"] as? Int == 20)
        #expect((report["status"] as? [String: Int])?["5xx"] == 20)
    }

    @Test func durationBoundsTheRun() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["bench", "-c", "2", "-D", "0.3", "--json", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        let report = try jsonObject(result.outputText)
        #expect((report["requests"] as? Int ?? 0) > 0)
        #expect((report["seconds"] as? Double ?? 0) >= 0.3)
    }

    @Test func textReportNamesTheFigures() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["bench", "-c", "2", "-n", "50", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        #expect(result.outputText.contains("HTTP/1.1, 2 connections"))
        #expect(result.outputText.contains("req/s"))
        #expect(result.outputText.contains("latency (ms): min"))
    }

    @Test func unreachableServerFailsWithItsCategory() async throws {
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        let result = try await CLI.run(["bench", "-n", "10", "--json", "http://127.0.0.1:\(port)/"])
        #expect(result.status == 4)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains("connectFailed"))
    }
}
