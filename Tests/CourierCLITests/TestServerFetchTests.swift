import CourierCore
import CourierTestServer
import CourierTestSupport
import Foundation
import HTTPTypes
import Testing

/// `courier` against the in-process test server: bodies echoed back byte for byte, TLS with its generated CA,
/// repeated request fields as recorded, and faults (truncation, reset, stall) mapped to exit statuses.
@Suite(.enabled(if: CLI.isBuilt)) struct TestServerFetchTests {
    @Test(arguments: ["-d", "--data-binary"])
    func fileDataIsEchoedUnchanged(option: String) async throws {
        try await withServer { server in
            let scratch = try TemporaryDirectory()
            let bytes = testBytes(count: 1_234_567, seed: 3)
            let input = try scratch.file("in.bin", bytes)
            let output = scratch.path + "/out.bin"
            let result = try await CLI.run([option, "@" + input, "-o", output, "--summary", server.url("/echo")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == bytes)
            let summary = try result.summary()
            #expect(summary["bodyBytes"] as? Int == bytes.count)
            #expect(summary["bodySha256"] as? String == (try await referenceSHA256(ofFile: input)))
            let recorded = try await withTimeout { try await server.recorder.waitForRequests(count: 1) }
            #expect(recorded[0].method == .post)
            #expect(recorded[0].bodyLength == bytes.count)
        }
    }

    @Test func redirectsAreFollowedOnlyWithLocation() async throws {
        try await withServer { server in
            // Without -L the 302 is the answer, as with curl.
            let plain = try await CLI.run(["--summary", server.url("/redirect/3")])
            #expect(plain.status == 0, "\(plain.errors)")
            #expect(try plain.summary()["status"] as? Int == 302)
            let followed = try await CLI.run(["-L", "--summary", server.url("/redirect/3")])
            #expect(followed.status == 0, "\(followed.errors)")
            #expect(try followed.summary()["status"] as? Int == 200)
            // One redirect more than allowed fails with the redirect category.
            let limited = try await CLI.run(["-L", "--max-redirs", "2", "--summary", server.url("/redirect/3")])
            #expect(limited.status != 0)
            let error = try limited.summary()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "tooManyRedirects", "\(limited.errors)")
        }
    }

    @Test func proxyForwardsCleartextRequestsInAbsoluteForm() async throws {
        try await withServer { server in
            // The test server routes an absolute-form target by its path and records its authority.
            let result = try await CLI.run(["-x", "http://127.0.0.1:\(server.port)", "--summary",
                                            "http://origin.example:8080/status/200"])
            #expect(result.status == 0, "\(result.errors)")
            #expect(try result.summary()["status"] as? Int == 200)
            let recorded = try await withTimeout { try await server.recorder.waitForRequests(count: 1) }
            #expect(recorded[0].authority == "origin.example:8080")
            // --noproxy names hosts reached directly: here the origin itself, so no proxy is involved.
            let direct = try await CLI.run(["-x", "http://127.0.0.1:1", "--noproxy", "127.0.0.1", server.url("/status/204")])
            #expect(direct.status == 0, "\(direct.errors)")
        }
    }

    @Test func cookiesAreSentStoredAndReadBackAsCurlDoes() async throws {
        try await withServer { server in
            server.route(.get, "/login") { _ in
                .text("welcome", headerFields: [.setCookie: "session=abc123; Path=/; HttpOnly"])
            }
            let scratch = try TemporaryDirectory()
            let jarPath = scratch.path + "/jar.txt"
            let login = try await CLI.run(["-c", jarPath, server.url("/login")])
            #expect(login.status == 0, "\(login.errors)")
            let saved = try String(contentsOfFile: jarPath, encoding: .utf8)
            #expect(saved.hasPrefix("# Netscape HTTP Cookie File"))
            #expect(saved.contains("session\tabc123"), "\(saved)")
            // The file is read back with -b, and a literal cookie string is sent as given.
            _ = try await CLI.run(["-b", jarPath, server.url("/headers?from-file")])
            _ = try await CLI.run(["-b", "theme=dark; lang=en", server.url("/headers?literal")])
            let recorded = try await withTimeout { try await server.recorder.waitForRequests(count: 3) }
            #expect(recorded[1].headerFields[.cookie] == "session=abc123")
            #expect(recorded[2].headerFields[.cookie] == "theme=dark; lang=en")
        }
    }

    @Test func verboseShowsTheConnectionAndSummaryHasPhaseTimings() async throws {
        try await withServer(.tls()) { server in
            let scratch = try TemporaryDirectory()
            let ca = try scratch.file("ca.pem", Array(try #require(server.caCertificatePEM).utf8))
            let result = try await CLI.run(["-v", "--summary", "--cacert", ca, server.url("/bytes/1000")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.errors.contains("* Connected to 127.0.0.1:\(server.port)"), "\(result.errors)")
            #expect(result.errors.contains("ALPN h2"), "\(result.errors)")
            // The connection line comes before the request head, as with curl.
            let connected = try #require(result.errors.range(of: "* Connected"))
            let request = try #require(result.errors.range(of: "> GET /bytes/1000"))
            #expect(connected.lowerBound < request.lowerBound)
            let timings = try #require(try result.summary()["timings"] as? [String: Any])
            let dns = try #require(timings["dnsMs"] as? Double), connect = try #require(timings["connectMs"] as? Double)
            let tls = try #require(timings["tlsMs"] as? Double), firstByte = try #require(timings["firstByteMs"] as? Double)
            let total = try #require(timings["totalMs"] as? Double)
            #expect(dns <= connect && connect < tls && tls <= firstByte && firstByte <= total, "\(timings)")
        }
    }

    @Test func repeatedFieldsArriveInOrder() async throws {
        try await withServer { server in
            let result = try await CLI.run(["-H", "X-Tag: one", "-H", "X-Tag: two", "-H", "Accept:", server.url("/headers")])
            #expect(result.status == 0)
            let recorded = try await withTimeout { try await server.recorder.waitForRequests(count: 1) }
            let fields = recorded[0].headerFields
            #expect(fields[values: HTTPField.Name("X-Tag")!] == ["one", "two"])
            #expect(fields[.accept] == nil)
            #expect(fields[.userAgent] == "courier/0.1.0")
        }
    }

    @Test func tlsWithTheGeneratedAuthority() async throws {
        try await withServer(.tls()) { server in
            let scratch = try TemporaryDirectory()
            let ca = try scratch.file("ca.pem", Array(try #require(server.caCertificatePEM).utf8))
            let trusted = try await CLI.run(["--cacert", ca, "--summary", server.url("/bytes/200000")])
            #expect(trusted.status == 0, "\(trusted.errors)")
            #expect(trusted.output.count == 200_000 && TestPattern.matches(trusted.output, offset: 0))
            #expect(try trusted.summary()["bodyBytes"] as? Int == 200_000)
            let untrusted = try await CLI.run(["--summary", server.url("/bytes/10")])
            #expect(untrusted.status == 5)
            #expect((try untrusted.summary()["error"] as? [String: Any])?["code"] as? String == "tlsFailed")
        }
    }

    @Test func faultsMapToExitStatuses() async throws {
        try await withServer { server in
            let cases: [(query: String, status: Int32, code: String)] = [
                ("fault=truncate&at=40000", 8, "connectionClosed"),
                ("fault=drop&at=40000", 8, "connectionClosed"),
                ("fault=reset&at=40000", 8, "connectionClosed"),
                ("fault=drop&at=before-head", 8, "connectionClosed"),
            ]
            for (query, status, code) in cases {
                let result = try await CLI.run(["--summary", server.url("/bytes/100000?" + query)])
                #expect(result.status == status, "\(query): \(result.errors)")
                let summary = try result.summary()
                #expect((summary["error"] as? [String: Any])?["code"] as? String == code, "\(query)")
                if query.hasSuffix("40000") {
                    #expect(summary["status"] as? Int == 200, "\(query)")
                    #expect((summary["bodyBytes"] as? Int ?? .max) <= 40000, "\(query)")
                    #expect(result.output.count == summary["bodyBytes"] as? Int, "\(query)")
                    #expect(TestPattern.matches(result.output, offset: 0), "\(query)")
                }
            }
            let stalled = try await CLI.run(["--max-time", "0.5", "--summary", server.url("/bytes/100000?fault=stall&at=1000")])
            #expect(stalled.status == 6)
        }
    }

    @Test func http2FaultsMapToExitStatuses() async throws {
        try await withServer { server in
            let cases: [(query: String, status: Int32, code: String, head: Bool)] = [
                ("fault=reset&at=40000", 7, "streamReset", true),
                ("fault=drop&at=40000", 8, "connectionClosed", true),
                ("fault=reset&at=before-head", 7, "streamReset", false),
                ("fault=drop&at=before-head", 8, "connectionClosed", false),
            ]
            for (query, status, code, head) in cases {
                let result = try await CLI.run(["--http2-prior-knowledge", "--summary", server.url("/bytes/100000?" + query)])
                #expect(result.status == status, "\(query): \(result.errors)")
                let summary = try result.summary()
                #expect((summary["error"] as? [String: Any])?["code"] as? String == code, "\(query)")
                #expect(summary["protocol"] as? String == (head ? "HTTP/2" : nil), "\(query)")
                if head {
                    #expect(summary["bodyBytes"] as? Int == 40000, "\(query)")
                    #expect(result.output.count == 40000 && TestPattern.matches(result.output, offset: 0), "\(query)")
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func benchOpensExactlyItsConnections(http2: Bool) async throws {
        try await withServer { server in
            let result = try await CLI.run(["bench", "-c", "4", "-m", "5", "-n", "400", "--json"]
                                           + (http2 ? ["--http2-prior-knowledge"] : []) + [server.url("/bytes/100")])
            #expect(result.status == 0, "\(result.errors)")
            let report = try jsonObject(result.outputText)
            #expect(report["requests"] as? Int == 400)
            #expect(report["bodyBytes"] as? Int == 40_000)
            #expect(report["protocol"] as? String == (http2 ? "HTTP/2" : "HTTP/1.1"))
            #expect(report["streams"] as? Int == (http2 ? 5 : 1))
            #expect(server.recorder.connectionsAccepted == 4)
            // Over HTTP/2 the streams of a connection run concurrently: every connection carried requests.
            let perConnection = Dictionary(grouping: server.recorder.requests, by: \.connectionID).mapValues(\.count)
            #expect(perConnection.count == 4)
            #expect(perConnection.values.reduce(0, +) == 404)
        }
    }

    @Test func http2OverTLSByALPN() async throws {
        try await withServer(.tls()) { server in
            let scratch = try TemporaryDirectory()
            let ca = try scratch.file("ca.pem", Array(try #require(server.caCertificatePEM).utf8))
            let result = try await CLI.run(["--cacert", ca, "--summary", "-i", server.url("/bytes/5000")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.outputText.hasPrefix("HTTP/2 200\r\n"))
            #expect(try result.summary()["protocol"] as? String == "HTTP/2")
            let http1 = try await CLI.run(["--http1.1", "--cacert", ca, "--summary", server.url("/bytes/5000")])
            #expect(try http1.summary()["protocol"] as? String == "HTTP/1.1")
        }
    }
}
