import CourierTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Each failure category has its exit status, and `--summary` names the error.
@Suite(.enabled(if: CLI.isBuilt)) struct ExitStatusTests {
    /// Runs with `--summary` and returns the status and the summary's error code.
    func failure(_ arguments: [String]) async throws -> (status: Int32, code: String?, summary: [String: Any]) {
        let result = try await CLI.run(["--summary"] + arguments)
        let summary = try result.summary()
        let error = summary["error"] as? [String: Any]
        return (result.status, error?["code"] as? String, summary)
    }

    @Test func refusedConnection() async throws {
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        let (status, code, summary) = try await failure(["http://127.0.0.1:\(port)/"])
        #expect(status == 4)
        #expect(code == "connectFailed")
        #expect(summary["status"] is NSNull)
        #expect(summary["protocol"] is NSNull)
        #expect(summary["bodySha256"] is NSNull)
    }

    @Test func unresolvableHost() async throws {
        let (status, code, _) = try await failure(["--connect-timeout", "5", "http://no-such-host.invalid/"])
        #expect(status == 3)
        #expect(code == "resolutionFailed")
    }

    @Test func silentServerHitsMaxTime() async throws {
        let peer = try ScriptedPeer(then: .stayOpen)
        defer { peer.stop() }
        let (status, code, summary) = try await failure(["--max-time", "0.3", "http://127.0.0.1:\(peer.port)/"])
        #expect(status == 6)
        #expect(code == "deadlineExceeded")
        #expect(summary["status"] is NSNull)
    }

    @Test func bodyCutShortIsTruncated() async throws {
        let partial = testBytes(count: 5000)
        let peer = try ScriptedPeer(response: Array("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".utf8) + partial)
        defer { peer.stop() }
        let scratch = try TemporaryDirectory()
        let path = scratch.path + "/partial"
        let (status, code, summary) = try await failure(["-o", path, "http://127.0.0.1:\(peer.port)/"])
        #expect(status == 8)
        #expect(code == "connectionClosed")
        #expect(summary["status"] as? Int == 200)
        #expect(summary["bodyBytes"] as? Int == 5000)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == partial)
        #expect(summary["bodySha256"] as? String == (try await referenceSHA256(ofFile: path)))
    }

    @Test func chunkedBodyCutShortIsTruncated() async throws {
        let peer = try ScriptedPeer(response: Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc".utf8))
        defer { peer.stop() }
        let (status, code, summary) = try await failure(["http://127.0.0.1:\(peer.port)/"])
        #expect(status == 8)
        #expect(code == "connectionClosed")
        #expect(summary["status"] as? Int == 200)
    }

    @Test func connectionClosedWithoutAResponse() async throws {
        let peer = try ScriptedPeer()
        defer { peer.stop() }
        let (status, code, _) = try await failure(["http://127.0.0.1:\(peer.port)/"])
        #expect(status == 8)
        #expect(code == "connectionClosed")
    }

    @Test func malformedResponseIsAProtocolError() async throws {
        let peer = try ScriptedPeer(response: Array("HTTP/1.1 abc Nope\r\n\r\n".utf8))
        defer { peer.stop() }
        let (status, code, _) = try await failure(["http://127.0.0.1:\(peer.port)/"])
        #expect(status == 7)
        #expect(code == "protocolViolation")
    }

    @Test func oversizedResponseHeadExceedsALimit() async throws {
        let huge = "X-Big: " + String(repeating: "a", count: 100_000) + "\r\n"
        let peer = try ScriptedPeer(response: Array("HTTP/1.1 200 OK\r\n\(huge)Content-Length: 0\r\n\r\n".utf8))
        defer { peer.stop() }
        let (status, code, _) = try await failure(["http://127.0.0.1:\(peer.port)/"])
        #expect(status == 9)
        #expect(code == "limitExceeded")
    }

    @Test(.enabled(if: NginxServer.isAvailable))
    func bodyOverMaxFilesizeExceedsALimit() async throws {
        let nginx = try NginxServer.start(files: ["big": 100_000])
        defer { nginx.stop() }
        let (status, code, summary) = try await failure(["--max-filesize", "1000", "http://127.0.0.1:\(nginx.httpPort)/big"])
        #expect(status == 9)
        #expect(code == "limitExceeded")
        #expect(summary["status"] as? Int == 200)
        // Within the limit, the same transfer succeeds.
        let fits = try await CLI.run(["--max-filesize", "100000", "http://127.0.0.1:\(nginx.httpPort)/big"])
        #expect(fits.status == 0)
        #expect(fits.output.count == 100_000)
    }

    @Test(.enabled(if: NginxServer.isAvailable))
    func unwritableOutputIsAnOutputFailure() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let (status, code, _) = try await failure(["-o", "/nonexistent-directory/file", "http://127.0.0.1:\(nginx.httpPort)/small"])
        #expect(status == 10)
        #expect(code == "outputFailed")
    }

    @Test(.enabled(if: NginxServer.isAvailable && access("/usr/bin/openssl", X_OK) == 0))
    func untrustedCertificateIsATLSFailure() async throws {
        let scratch = try TemporaryDirectory()
        let (certificate, key) = try await selfSignedCertificate(in: scratch)
        let nginx = try NginxServer.start(certificatePEM: certificate, privateKeyPEM: key, files: ["file": 10_000])
        defer { nginx.stop() }
        let url = "https://127.0.0.1:\(nginx.httpsPort)/file"
        let untrusted = try await failure([url])
        #expect(untrusted.status == 5)
        #expect(untrusted.code == "tlsFailed")
        // Trusting the certificate, or not verifying, succeeds: HTTP/2 by ALPN, or HTTP/1.1 when asked.
        let caPath = try scratch.file("ca.pem", Array(certificate.utf8))
        let trusted = try await CLI.run(["--cacert", caPath, "--summary", url])
        #expect(trusted.status == 0)
        #expect(trusted.output == (0..<10_000).map(NginxServer.patternByte(at:)))
        #expect(try trusted.summary()["protocol"] as? String == "HTTP/2")
        let http1 = try await CLI.run(["--http1.1", "--cacert", caPath, "--summary", url])
        #expect(http1.status == 0)
        #expect(try http1.summary()["protocol"] as? String == "HTTP/1.1")
        let insecure = try await CLI.run(["-k", url])
        #expect(insecure.status == 0)
        #expect(insecure.output.count == 10_000)
    }

    @Test func usageErrorsExitWithTwo() async throws {
        let cases: [[String]] = [
            ["--no-such-option", "http://127.0.0.1/"],
            ["-H", "no colon", "http://127.0.0.1/"],
            ["-H", "Bad Name: x", "http://127.0.0.1/"],
            ["-H", "Host: elsewhere", "http://127.0.0.1/"],
            ["-X", "NOT A METHOD", "http://127.0.0.1/"],
            ["ftp://127.0.0.1/"],
            ["http://"],
            ["--max-time", "-1", "http://127.0.0.1/"],
            ["--http1.1", "--http2-prior-knowledge", "http://127.0.0.1/"],
            ["--cacert", "/nonexistent.pem", "https://127.0.0.1/"],
            ["-L", "--max-redirs", "-1", "http://127.0.0.1/"],
            ["-x", "socks5://127.0.0.1:1080", "http://127.0.0.1/"],
            ["--retry", "-1", "http://127.0.0.1/"],
            ["--retry-delay", "1", "http://127.0.0.1/"],
            ["--retry", "2", "--retry-max-time", "0", "http://127.0.0.1/"],
        ]
        for arguments in cases {
            let result = try await CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.errors)")
            #expect(!result.errors.isEmpty, "\(arguments)")
        }
    }

    @Test func helpListsTheExitStatuses() async throws {
        let result = try await CLI.run(["fetch", "--help"])
        #expect(result.status == 0)
        for status in 0...15 {
            #expect(result.outputText.contains("\n" + String(repeating: " ", count: status < 10 ? 4 : 3) + "\(status)  "))
        }
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl tool.
    func selfSignedCertificate(in scratch: TemporaryDirectory) async throws -> (String, String) {
        let certificate = scratch.path + "/cert.pem", key = scratch.path + "/key.pem"
        let process = try ChildProcess([
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        #expect(try await CLI.waitForExit(process, timeLimit: .seconds(30)) == 0)
        return (try String(contentsOfFile: certificate, encoding: .utf8), try String(contentsOfFile: key, encoding: .utf8))
    }
}
