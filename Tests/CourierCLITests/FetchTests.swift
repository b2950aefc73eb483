import CourierTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `courier [options] URL` end to end against nginx: output to standard output, a file and a pipe, the
/// response head, request fields, and the `--summary` line.
@Suite(.enabled(if: NginxServer.isAvailable && CLI.isBuilt)) struct FetchTests {
    @Test func includeWritesTheHeadThenTheBody() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["-i", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        let text = result.outputText
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("\r\nContent-Type: application/json\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + NginxServer.smallBody))
        #expect(result.errors.isEmpty)
    }

    @Test func http2WithPriorKnowledge() async throws {
        let size = 1_000_003
        let nginx = try NginxServer.start(files: ["pattern.bin": size])
        defer { nginx.stop() }
        let scratch = try TemporaryDirectory()
        let path = scratch.path + "/body.bin"
        let result = try await CLI.run(["--http2-prior-knowledge", "-i", "--summary", "-o", path,
                                        "http://127.0.0.1:\(nginx.h2cPort)/pattern.bin"])
        #expect(result.status == 0, "\(result.errors)")
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // -i over HTTP/2: no reason phrase, field names in lower case as they arrive.
        let head = String(decoding: written.prefix(while: { $0 != 0x0A }), as: UTF8.self)
        #expect(head == "HTTP/2 200\r")
        let separator = try #require(written.indices.first { written[$0...].starts(with: [13, 10, 13, 10]) })
        #expect(Array(written[(separator + 4)...]) == (0..<size).map(NginxServer.patternByte(at:)))
        let summary = try result.summary()
        #expect(summary["protocol"] as? String == "HTTP/2")
        #expect(summary["bodyBytes"] as? Int == size)
        #expect((summary["headers"] as? [[String]])?.contains(["content-length", String(size)]) == true)
    }

    @Test func http1OnlyAgainstAnHTTP2OnlyPortFails() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        // nginx's h2c port answers an HTTP/1.1 request with a connection preface error: not a response.
        let result = try await CLI.run(["--summary", "--max-time", "10", "http://127.0.0.1:\(nginx.h2cPort)/small"])
        #expect(result.status == 7 || result.status == 8, "\(result.errors)")
        #expect(try result.summary()["error"] is [String: Any])
    }

    @Test func bodyAloneGoesToStandardOutput() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        #expect(result.outputText == NginxServer.smallBody)
    }

    @Test func compressedAsksForGzipAndWritesTheBodyDecoded() async throws {
        let size = 500_000
        let nginx = try NginxServer.start(files: ["pattern.bin": size])
        defer { nginx.stop() }
        let url = "http://127.0.0.1:\(nginx.httpPort)/pattern.bin"
        let compressed = try await CLI.run(["--compressed", "-v", url])
        #expect(compressed.status == 0, "\(compressed.errors)")
        #expect(compressed.errors.lowercased().contains("accept-encoding: gzip, deflate"), "\(compressed.errors)")
        #expect(compressed.output == (0..<size).map(NginxServer.patternByte(at:)))
        // Without the flag nothing is asked for: the file comes with its length, as stored.
        let plain = try await CLI.run(["--summary", url])
        #expect(plain.output.count == size)
        let headers = try #require(try plain.summary()["headers"] as? [[String]])
        #expect(headers.contains(["Content-Length", String(size)]))
        #expect(!headers.contains { $0.first == "Content-Encoding" })
    }

    @Test func outputFileReceivesTheBodyAndTheSummaryDescribesIt() async throws {
        let size = 3 * 1024 * 1024 + 17
        let nginx = try NginxServer.start(files: ["pattern.bin": size])
        defer { nginx.stop() }
        let scratch = try TemporaryDirectory()
        let path = scratch.path + "/body.bin"
        let result = try await CLI.run(["--summary", "-o", path, "http://127.0.0.1:\(nginx.httpPort)/pattern.bin"])
        #expect(result.status == 0)
        #expect(result.output.isEmpty)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.count == size)
        #expect(written == (0..<size).map(NginxServer.patternByte(at:)))
        let summary = try result.summary()
        #expect(summary["status"] as? Int == 200)
        #expect(summary["protocol"] as? String == "HTTP/1.1")
        #expect(summary["bodyBytes"] as? Int == size)
        #expect(summary["bodySha256"] as? String == (try await referenceSHA256(ofFile: path)))
        #expect(summary["error"] is NSNull)
        #expect(summary["attempts"] as? Int == 1)
        let headers = try #require(summary["headers"] as? [[String]])
        #expect(headers.contains(["Content-Length", String(size)]))
        let timings = try #require(summary["timings"] as? [String: Any])
        let total = try #require(timings["totalMs"] as? Double)
        let head = try #require(timings["headMs"] as? Double)
        let body = try #require(timings["bodyMs"] as? Double)
        #expect(head >= 0 && body >= 0 && head <= total)
    }

    @Test func emptyBodyHashesToTheEmptyDigest() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["--summary", "http://127.0.0.1:\(nginx.httpPort)/status/204"])
        #expect(result.status == 0)
        let summary = try result.summary()
        #expect(summary["status"] as? Int == 204)
        #expect(summary["bodyBytes"] as? Int == 0)
        #expect(summary["bodySha256"] as? String == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func anyHTTPStatusIsASuccessWithoutFail() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let plain = try await CLI.run(["--summary", "http://127.0.0.1:\(nginx.httpPort)/status/500"])
        #expect(plain.status == 0)
        #expect(try plain.summary()["status"] as? Int == 500)
        let failing = try await CLI.run(["-f", "--summary", "http://127.0.0.1:\(nginx.httpPort)/status/500"])
        #expect(failing.status == 15)
        #expect(failing.output.isEmpty)
        let error = try #require(try failing.summary()["error"] as? [String: Any])
        #expect(error["code"] as? String == "httpError")
    }

    @Test func outputToAPipeArrivesInOrder() async throws {
        let size = 2 * 1024 * 1024 + 5
        let nginx = try NginxServer.start(files: ["pattern.bin": size])
        defer { nginx.stop() }
        let scratch = try TemporaryDirectory()
        let fifo = scratch.path + "/fifo", copy = scratch.path + "/copy"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = try ChildProcess(["/bin/sh", "-c", "exec cat \"$0\" > \"$1\"", fifo, copy])
        let result = try await CLI.run(["--summary", "-o", fifo, "http://127.0.0.1:\(nginx.httpPort)/pattern.bin"])
        #expect(try await CLI.waitForExit(reader, timeLimit: .seconds(30)) == 0)
        #expect(result.status == 0)
        let received = try [UInt8](Data(contentsOf: URL(fileURLWithPath: copy)))
        #expect(received.count == size)
        #expect(received == (0..<size).map(NginxServer.patternByte(at:)))
        #expect(try result.summary()["bodySha256"] as? String == (try await referenceSHA256(ofFile: copy)))
    }

    @Test func dashOutputIsStandardOutput() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["-o", "-", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        #expect(result.outputText == NginxServer.smallBody)
    }

    @Test func headerOptionsReplaceAddAndRemoveFields() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let url = "http://127.0.0.1:\(nginx.httpPort)/echo-headers"
        // nginx echoes: User-Agent | X-Courier | Content-Length | method.
        let defaults = try await CLI.run([url])
        #expect(defaults.outputText == "courier/0.1.0|||GET")
        let replaced = try await CLI.run(["-H", "User-Agent: probe/2", "-H", "X-Courier: one", url])
        #expect(replaced.outputText == "probe/2|one||GET")
        let agent = try await CLI.run(["-A", "agent/3", url])
        #expect(agent.outputText == "agent/3|||GET")
        let removed = try await CLI.run(["-H", "User-Agent:", "-X", "DELETE", url])
        #expect(removed.outputText == "|||DELETE")
    }

    @Test func headSendsHEADAndWritesTheHead() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["-I", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        #expect(result.outputText.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(result.outputText.hasSuffix("\r\n\r\n"))
    }

    @Test func verboseShowsBothHeadsOnStandardError() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let result = try await CLI.run(["-v", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(result.status == 0)
        #expect(result.outputText == NginxServer.smallBody)
        #expect(result.errors.contains("> GET /small\n"))
        #expect(result.errors.contains("< HTTP/1.1 200 OK\n"))
    }

    @Test(.enabled(if: access("/usr/bin/script", X_OK) == 0))
    func progressBarIsDrawnWhenStandardErrorIsATerminal() async throws {
        let size = 1024 * 1024
        let nginx = try NginxServer.start(files: ["pattern.bin": size])
        defer { nginx.stop() }
        let scratch = try TemporaryDirectory()
        let path = scratch.path + "/body.bin", terminal = scratch.path + "/terminal"
        let command = "'\(CLI.executable)' -o '\(path)' http://127.0.0.1:\(nginx.httpPort)/pattern.bin"
        let process = try ChildProcess(["/usr/bin/script", "-qec", command, "/dev/null"], outputPath: terminal)
        #expect(try await CLI.waitForExit(process, timeLimit: .seconds(30)) == 0)
        let drawn = try String(contentsOfFile: terminal, encoding: .utf8)
        #expect(drawn.contains("100% [########################] 1.0 MiB / 1.0 MiB"))
        // Without a terminal there is no bar.
        let quiet = try await CLI.run(["-o", path, "http://127.0.0.1:\(nginx.httpPort)/pattern.bin"])
        #expect(quiet.status == 0)
        #expect(quiet.errors.isEmpty)
    }
}
