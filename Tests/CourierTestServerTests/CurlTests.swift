import CourierCore
import CourierTestServer
import CourierTestSupport
import Foundation
import HTTPTypes
import Synchronization
import Testing

/// The server against a real, independent HTTP client: curl, over cleartext, TLS and a Unix socket.
@Suite("curl against the server", .enabled(if: Curl.isAvailable))
struct CurlTests {
    private func pattern(_ data: Data, count: Int) -> Bool {
        data.count == count && data.withUnsafeBytes { TestPattern.matches(ByteBuffer(bytes: $0), offset: 0) }
    }

    @Test("cleartext GET of a patterned body")
    func cleartext() async throws {
        try await withServer { server in
            let result = try await Curl.run([server.url("/bytes/300000"), "--output", "-"])
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            #expect(pattern(result.output, count: 300_000))
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].headerFields[.userAgent]?.hasPrefix("curl/") == true)
        }
    }

    @Test("TLS with the generated CA: verified, HTTP/1.1 by ALPN, by name and by address")
    func tls() async throws {
        try await withServer(.tls()) { server in
            #expect(server.baseURL == "https://localhost:\(server.port)")
            let caFile = try temporaryFile(try #require(server.caCertificatePEM), name: "ca.pem")
            defer { try? FileManager.default.removeItem(atPath: caFile) }
            let byName = try await Curl.run(["--http1.1", "--cacert", caFile, server.url("/bytes/100000"), "--output", "-"])
            #expect(byName.exitCode == 0, "\(byName.errorOutput)")
            #expect(pattern(byName.output, count: 100_000))
            let byAddress = try await Curl.run(["--http1.1", "--cacert", caFile, "-w", "%{http_version} %{ssl_verify_result}",
                                                "https://127.0.0.1:\(server.port)/status/200", "--output", "/dev/null"])
            #expect(byAddress.exitCode == 0, "\(byAddress.errorOutput)")
            #expect(byAddress.outputString == "1.1 0")
            let recorded = try await server.recorder.waitForRequests(count: 2)
            #expect(recorded.allSatisfy { $0.scheme == "https" })
        }
    }

    @Test("a client that does not trust the CA fails its handshake, which is counted")
    func untrusted() async throws {
        try await withServer(.tls()) { server in
            let result = try await Curl.run([server.url("/status/200")])
            #expect(result.exitCode == 60, "\(result.errorOutput)")
            try await server.recorder.waitForOpenConnections(0)
            #expect(server.recorder.tlsHandshakeFailures == 1)
            #expect(server.recorder.requestCount == 0)
        }
    }

    @Test("plain HTTP to the TLS port is a failed handshake, not a request")
    func plainToTLS() async throws {
        try await withServer(.tls()) { server in
            let client = try RawClient(port: server.port)
            try await client.send(get("/status/200"))
            #expect(try await client.waitForEnd() != .stillOpen)
            try await server.recorder.waitForOpenConnections(0)
            #expect(server.recorder.tlsHandshakeFailures == 1)
        }
    }

    /// Downloads 100 MiB with curl while sampling this process's resident memory: from `/bytes` (views of a
    /// shared pattern table), then from a generator that allocates every chunk anew, which only stays bounded
    /// when the server waits for the client between writes.
    func largeDownload(_ server: TestServer, extra: [String]) async throws {
        server.route(.get, "/fresh/:count") { request in
            let count = Int(request.parameters["count"]!)!
            return TestResponse(body: .generate(length: count) { writer in
                var offset = 0
                while offset < count {
                    let size = min(64 * 1024, count - offset)
                    var chunk = ByteBuffer(capacity: size)
                    chunk.writeBuffer(TestPattern.bytes(offset: offset, count: size))
                    try await writer.write(chunk)
                    offset += size
                }
            })
        }
        try await largeDownload(server, path: "/bytes", extra: extra)
        // A reader slower than the server, so without backpressure the server would queue most of the body.
        try await largeDownload(server, path: "/fresh", extra: extra + ["--limit-rate", "100M"])
    }

    private func largeDownload(_ server: TestServer, path: String, extra: [String]) async throws {
        let size = 100 << 20
        let baseline = residentMemory()
        let peak = Atomic<Int>(baseline)
        let sampler = Task {
            while !Task.isCancelled {
                let now = residentMemory()
                if now > peak.load(ordering: .relaxed) { peak.store(now, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let result = try await Curl.run(extra + ["-w", "%{size_download}", server.url("\(path)/\(size)"), "--output", "/dev/null"],
                                        timeout: .seconds(120))
        sampler.cancel()
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        #expect(result.outputString == "\(size)")
        let growth = peak.load(ordering: .relaxed) - baseline
        #expect(runsUnderSanitizer() || growth < 48 << 20, "resident memory grew by \(growth >> 20) MiB while serving 100 MiB from \(path)")
    }

    @Test("100 MiB through curl in bounded memory, cleartext")
    func largeCleartext() async throws {
        // In a child process (an exit test): resident memory then counts this transfer only, not the
        // suites running in parallel.
        await #expect(processExitsWith: .success) {
            try await withServer(limit: .seconds(150)) { server in try await CurlTests().largeDownload(server, extra: []) }
        }
    }

    @Test("100 MiB through curl in bounded memory, TLS")
    func largeTLS() async throws {
        // In a child process (an exit test): resident memory then counts this transfer only, not the
        // suites running in parallel.
        await #expect(processExitsWith: .success) {
            try await withServer(.tls(), limit: .seconds(150)) { server in
                let caFile = try temporaryFile(try #require(server.caCertificatePEM), name: "ca.pem")
                defer { try? FileManager.default.removeItem(atPath: caFile) }
                try await CurlTests().largeDownload(server, extra: ["--http1.1", "--cacert", caFile])
            }
        }
    }

    @Test("uploads: curl's Expect: 100-continue for a large body, and an echo round trip")
    func uploads() async throws {
        try await withServer { server in
            let size = 3 << 20
            let bytes = TestPattern.bytes(offset: 0, count: size).withUnsafeReadableBytes { Data($0) }
            let upload = try await Curl.run(["--data-binary", "@-", "-H", "Content-Type: application/octet-stream",
                                             server.url("/upload")], stdin: bytes)
            #expect(upload.exitCode == 0, "\(upload.errorOutput)")
            #expect(upload.outputString == "{\"bytes\":\(size)}")
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].headerFields[.expect] == "100-continue")
            #expect(recorded[0].bodyLength == size)

            let small = Data((0..<300_000).map { TestPattern.byte(at: $0) })
            let echo = try await Curl.run(["--data-binary", "@-", server.url("/echo"), "--output", "-"], stdin: small)
            #expect(echo.exitCode == 0, "\(echo.errorOutput)")
            #expect(echo.output == small)
        }
    }

    @Test("curl reuses the keep-alive connection for several URLs")
    func keepAlive() async throws {
        try await withServer { server in
            let result = try await Curl.run([server.url("/connection-info"), server.url("/connection-info"),
                                             server.url("/connection-info")])
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            #expect(result.outputString == (1...3).map { "connection=1 request=\($0) version=HTTP/1.1\n" }.joined())
            #expect(server.recorder.connectionsAccepted == 1)
        }
    }

    @Test("HTTP/1.0 with curl")
    func http10() async throws {
        try await withServer { server in
            let result = try await Curl.run(["--http1.0", server.url("/ndjson/2")])
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            #expect(result.outputString == "{\"index\":0}\n{\"index\":1}\n")
            #expect(server.requests.first?.httpVersion == "HTTP/1.0")
        }
    }

    @Test("faults as curl sees them: reset 56, short body 18, truncated chunked 18, stall times out 28")
    func faults() async throws {
        try await withServer { server in
            let reset = try await Curl.run([server.url("/bytes/1000?fault=reset&at=100"), "--output", "/dev/null"])
            #expect(reset.exitCode == 56, "\(reset.errorOutput)")
            let short = try await Curl.run([server.url("/bytes/1000?fault=drop&at=100"), "--output", "/dev/null"])
            #expect(short.exitCode == 18, "\(short.errorOutput)")
            let truncated = try await Curl.run([server.url("/bytes/1000?fault=truncate"), "--output", "/dev/null"])
            #expect(truncated.exitCode == 18, "\(truncated.errorOutput)")
            let stalled = try await Curl.run(["--max-time", "0.5", server.url("/bytes/1000?fault=stall")])
            #expect(stalled.exitCode == 28, "\(stalled.errorOutput)")
            let limited = try await Curl.run(["-w", "%{http_code}", server.url("/status/429?retry-after=1"), "--output", "/dev/null"])
            #expect(limited.outputString == "429")
        }
    }

    @Test("over a Unix domain socket")
    func unixSocket() async throws {
        var configuration = TestServer.Configuration()
        let path = "/tmp/courier-curl-\(UInt32.random(in: 0...UInt32.max)).sock"
        configuration.bindTarget = .unixSocket(path: path)
        try await withServer(configuration) { server in
            let result = try await Curl.run(["--unix-socket", path, server.url("/bytes/1000"), "--output", "-"])
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            #expect(pattern(result.output, count: 1000))
        }
    }
}
