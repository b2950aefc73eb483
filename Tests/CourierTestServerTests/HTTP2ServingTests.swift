import CourierCore
import CourierTestServer
import CourierTestSupport
import Foundation
import HTTPTypes
import Synchronization
import Testing

/// HTTP/2 against real peers: curl (`--http2-prior-knowledge`, `--http2` over TLS) and nghttp, whose verbose
/// frame log shows what went over the wire (RST_STREAM and GOAWAY codes, DATA sizes, trailers).
@Suite("HTTP/2 serving", .enabled(if: Curl.isAvailable && NGHTTP.isAvailable))
struct HTTP2ServingTests {
    private func pattern(_ data: Data, count: Int) -> Bool {
        data.count == count && data.withUnsafeBytes { TestPattern.matches(ByteBuffer(bytes: $0), offset: 0) }
    }

    /// The frames nghttp received, as its `recv ...` log lines with their detail lines.
    private func received(_ output: String) -> [String] {
        var frames: [String] = []
        for line in output.split(separator: "\n") {
            if line.contains("recv ") { frames.append(String(line)) } else if line.hasPrefix("          "), !frames.isEmpty {
                frames[frames.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        return frames
    }

    /// Splits raw HTTP/2 bytes (after the preface, server side) into frames.
    private func decodeFrames(_ bytes: [UInt8]) -> [(type: UInt8, stream: UInt32, payload: [UInt8])] {
        var frames: [(type: UInt8, stream: UInt32, payload: [UInt8])] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard index + 9 + length <= bytes.count else { break }
            let stream = UInt32(bytes[index + 5] & 0x7f) << 24 | UInt32(bytes[index + 6]) << 16
                | UInt32(bytes[index + 7]) << 8 | UInt32(bytes[index + 8])
            frames.append((bytes[index + 3], stream, Array(bytes[(index + 9)..<(index + 9 + length)])))
            index += 9 + length
        }
        return frames
    }

    @Test("h2c with prior knowledge: curl gets HTTP/2, the request is recorded as such")
    func priorKnowledge() async throws {
        try await withServer { server in
            let result = try await Curl.run(["--http2-prior-knowledge", "-w", "%{http_version}", server.url("/bytes/300000"),
                                             "--output", "-"])
            #expect(result.exitCode == 0, "\(result.errorOutput)")
            #expect(result.output.suffix(1) == Data("2".utf8))
            #expect(pattern(result.output.dropLast(1), count: 300_000))
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].protocolVersion == .http2)
            #expect(recorded[0].httpVersion == "HTTP/2")
            #expect(recorded[0].streamID == 1)
            #expect(recorded[0].authority == "127.0.0.1:\(server.port)")
            #expect(recorded[0].scheme == "http")
            #expect(recorded[0].headerFields[.userAgent]?.hasPrefix("curl/") == true)
        }
    }

    @Test("TLS: ALPN picks h2 for an HTTP/2 client and http/1.1 for the others")
    func alpn() async throws {
        try await withServer(.tls()) { server in
            let caFile = try temporaryFile(try #require(server.caCertificatePEM), name: "ca.pem")
            defer { try? FileManager.default.removeItem(atPath: caFile) }
            let h2 = try await Curl.run(["--http2", "--cacert", caFile, "-w", "%{http_version}", server.url("/connection-info")])
            #expect(h2.exitCode == 0, "\(h2.errorOutput)")
            #expect(h2.outputString == "connection=1 request=1 version=HTTP/2\n2")
            let h1 = try await Curl.run(["--http1.1", "--cacert", caFile, "-w", "%{http_version}", server.url("/connection-info")])
            #expect(h1.outputString == "connection=2 request=1 version=HTTP/1.1\n1.1")
            let recorded = try await server.recorder.waitForRequests(count: 2)
            #expect(recorded.map(\.scheme) == ["https", "https"])
        }
    }

    @Test("streams are served concurrently on one connection")
    func multiplexing() async throws {
        try await withServer { server in
            // Each waits for all three: only concurrent streams can answer at all.
            server.route(.get, "/barrier/:n") { request in
                try await server.recorder.waitForRequests(count: 3, path: nil)
                return .text("done \(request.parameters["n"]!)")
            }
            let result = try await NGHTTP.run(["-n", server.url("/barrier/1"), server.url("/barrier/2"), server.url("/barrier/3")])
            #expect(result.exitCode == 0, "\(result.outputString) \(result.errorOutput)")
            let recorded = server.requests
            #expect(recorded.count == 3)
            #expect(Set(recorded.map(\.connectionID)).count == 1)
            #expect(Set(recorded.compactMap(\.streamID)).count == 3)
            #expect(recorded.allSatisfy { $0.responseStatus == 200 })
        }
    }

    @Test("request bodies: uploads, echo, and flow control holding back a client the handler does not read")
    func requestBodies() async throws {
        try await withServer { server in
            let size = 3 << 20
            let bytes = TestPattern.bytes(offset: 0, count: size).withUnsafeReadableBytes { Data($0) }
            let upload = try await Curl.run(["--http2-prior-knowledge", "--data-binary", "@-", server.url("/upload")], stdin: bytes)
            #expect(upload.exitCode == 0, "\(upload.errorOutput)")
            #expect(upload.outputString == "{\"bytes\":\(size)}")
            let small = Data((0..<300_000).map { TestPattern.byte(at: $0) })
            let echo = try await Curl.run(["--http2-prior-knowledge", "--data-binary", "@-", server.url("/echo"),
                                           "--output", "-"], stdin: small)
            #expect(echo.output == small)

            let gate = AsyncStream<Void>.makeStream()
            server.route(.post, "/gated") { request in
                for await _ in gate.stream { break }
                return .text("\(try await request.body.drain())")
            }
            let large = Data(count: 8 << 20)
            let gated = Task {
                try await Curl.run(["--http2-prior-knowledge", "--data-binary", "@-", server.url("/gated")], stdin: large)
            }
            while server.requests(path: "/gated").first.map({ $0.bodyLength == 0 }) ?? true {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(300))
            let buffered = server.requests(path: "/gated")[0].bodyLength
            // The stream window (1 MiB by default) bounds what the client may send before the handler reads.
            #expect(buffered <= 1 << 20, "the server took \(buffered) bytes the handler did not ask for")
            gate.continuation.yield()
            let result = try await gated.value
            #expect(result.outputString == "\(8 << 20)")
        }
    }

    /// Downloads 100 MiB through a slow reader while sampling resident memory.
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
        let result = try await Curl.run(extra + ["--limit-rate", "100M", "-w", "%{size_download} %{http_version}",
                                                 server.url("/fresh/\(size)"), "--output", "/dev/null"], timeout: .seconds(120))
        sampler.cancel()
        #expect(result.exitCode == 0, "\(result.errorOutput)")
        #expect(result.outputString == "\(size) 2")
        let growth = peak.load(ordering: .relaxed) - baseline
        #expect(runsUnderSanitizer() || growth < 48 << 20, "resident memory grew by \(growth >> 20) MiB while serving 100 MiB over HTTP/2")
    }

    @Test("100 MiB over h2c in bounded memory")
    func largeCleartext() async throws {
        // In a child process (an exit test): resident memory then counts this transfer only, not the
        // suites running in parallel.
        await #expect(processExitsWith: .success) {
            try await withServer(limit: .seconds(150)) { server in try await HTTP2ServingTests().largeDownload(server, extra: ["--http2-prior-knowledge"]) }
        }
    }

    @Test("100 MiB over h2 with TLS in bounded memory")
    func largeTLS() async throws {
        // In a child process (an exit test): resident memory then counts this transfer only, not the
        // suites running in parallel.
        await #expect(processExitsWith: .success) {
            try await withServer(.tls(), limit: .seconds(150)) { server in
                let caFile = try temporaryFile(try #require(server.caCertificatePEM), name: "ca.pem")
                defer { try? FileManager.default.removeItem(atPath: caFile) }
                try await HTTP2ServingTests().largeDownload(server, extra: ["--http2", "--cacert", caFile])
            }
        }
    }

    @Test("reset and refuse send RST_STREAM with their codes; the connection lives on")
    func resets() async throws {
        try await withServer { server in
            server.route(.get, "/cancelled", faults: [.reset(at: .afterBodyBytes(10), http2ErrorCode: 0x8)]) { _ in
                .text(String(repeating: "x", count: 100))
            }
            server.route(.get, "/refused", faults: [.refuseStream]) { _ in .text("never") }
            let result = try await NGHTTP.run(["-nv", server.url("/cancelled"), server.url("/refused"), server.url("/status/200")])
            let frames = received(result.outputString)
            #expect(frames.contains { $0.contains("RST_STREAM") && $0.contains("error_code=CANCEL(0x08)") }, "\(frames)")
            #expect(frames.contains { $0.contains("RST_STREAM") && $0.contains("error_code=REFUSED_STREAM(0x07)") }, "\(frames)")
            #expect(frames.contains { $0.contains("DATA frame <length=10,") }, "\(frames)")
            #expect(server.requests.first { $0.path == "/status/200" }?.responseStatus == 200)
            #expect(server.recorder.connectionsAccepted == 1)
        }
    }

    @Test("GOAWAY: graceful with this stream, or with a lower last-stream-id abandoning later streams")
    func goAway() async throws {
        try await withServer { server in
            let graceful = try await NGHTTP.run(["-nv", server.url("/status/200?fault=goaway")])
            let frames = received(graceful.outputString)
            let stream = try #require(server.requests.first?.streamID)
            #expect(frames.contains { $0.contains("GOAWAY") && $0.contains("last_stream_id=\(stream), error_code=NO_ERROR") },
                    "\(frames)")
            #expect(graceful.exitCode == 0, "\(graceful.outputString)")

            // GOAWAY with an error code ends the connection at once: the response is not sent, and that is no
            // handler error.
            server.route(.get, "/fatal", faults: [.goAway(errorCode: 0x2)]) { _ in .text("never") }
            let fatal = try await NGHTTP.run(["-nv", server.url("/fatal")])
            #expect(received(fatal.outputString).contains { $0.contains("GOAWAY") && $0.contains("INTERNAL_ERROR") })
            #expect(server.requests(path: "/fatal").first?.responseStatus == nil)
            #expect(server.recorder.handlerErrors.isEmpty, "\(server.recorder.handlerErrors)")

            server.recorder.reset()
            server.route(.get, "/first") { _ in
                try await server.recorder.waitForRequests(count: 1, path: "/second")
                try await Task.sleep(for: .milliseconds(50))
                return .text("first")
            }
            server.route(.get, "/second") { _ in
                let first = try #require(server.requests(path: "/first").first?.streamID)
                return TestResponse.text("second").withFaults(.goAway(lastStreamID: first))
            }
            let chosen = try await NGHTTP.run(["-nv", server.url("/first"), server.url("/second")])
            let chosenFrames = received(chosen.outputString)
            let first = try #require(server.requests(path: "/first").first?.streamID)
            #expect(chosenFrames.contains { $0.contains("GOAWAY") && $0.contains("last_stream_id=\(first),") }, "\(chosenFrames)")
            #expect(server.requests(path: "/first").first?.responseStatus == 200)
            #expect(server.requests(path: "/second").first?.responseStatus == nil)
        }
    }

    @Test("drop, truncate and stall as curl sees them over HTTP/2")
    func connectionFaults() async throws {
        try await withServer { server in
            let dropped = try await Curl.run(["--http2-prior-knowledge", server.url("/bytes/1000?fault=drop&at=100"), "--output", "/dev/null"])
            #expect(dropped.exitCode != 0)
            let truncated = try await Curl.run(["--http2-prior-knowledge", server.url("/bytes/1000?fault=truncate"), "--output", "/dev/null"])
            #expect(truncated.exitCode == 18, "\(truncated.errorOutput)")
            let stalled = try await Curl.run(["--http2-prior-knowledge", "--max-time", "0.5", server.url("/bytes/1000?fault=stall")])
            #expect(stalled.exitCode == 28, "\(stalled.errorOutput)")
            try await server.recorder.waitForOpenConnections(0)
        }
    }

    @Test("drip sends small DATA frames; trailers, HEAD and 204 have the right frames")
    func framing() async throws {
        try await withServer { server in
            server.route(.get, "/with-trailers") { _ in
                TestResponse(body: .generate { writer in try await writer.write("body") },
                             trailers: [HTTPField.Name("x-digest")!: "abc"])
            }
            let result = try await NGHTTP.run(["-nv", server.url("/bytes/9?drip=3:5"), server.url("/with-trailers"),
                                               server.url("/status/204")])
            let frames = received(result.outputString)
            #expect(frames.filter { $0.contains("DATA frame <length=3,") }.count == 3, "\(frames)")
            #expect(result.outputString.contains("x-digest: abc"), "\(result.outputString)")
            #expect(result.exitCode == 0)
            let head = try await Curl.run(["--http2-prior-knowledge", "--head", server.url("/bytes/1234")])
            #expect(head.outputString.contains("content-length: 1234"), "\(head.outputString)")
        }
    }

    @Test("request limit and idle timeout end HTTP/2 connections with GOAWAY")
    func connectionPolicies() async throws {
        var configuration = TestServer.Configuration()
        configuration.maximumRequestsPerConnection = 2
        configuration.idleTimeout = .milliseconds(200)
        try await withServer(configuration) { server in
            let result = try await NGHTTP.run(["-nv", server.url("/status/200"), server.url("/status/201"), server.url("/status/202")])
            let frames = received(result.outputString)
            #expect(frames.contains { $0.contains("GOAWAY") && $0.contains("NO_ERROR") }, "\(frames)")
            #expect(server.recorder.requestCount == 2)
            let idle = try RawClient(port: server.port)
            try await idle.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0])
            let (bytes, ending) = try await idle.readUntilEnd(timeout: .seconds(5))
            #expect(ending == .closed)
            // SETTINGS first, then (after the idle timeout) GOAWAY with NO_ERROR.
            let goAway = try #require(decodeFrames(bytes).last { $0.type == 7 })
            #expect(Array(goAway.payload[4..<8]) == [0, 0, 0, 0])
        }
    }

    @Test("a protocol error gets GOAWAY PROTOCOL_ERROR and is recorded; HTTP/2 can be switched off")
    func protocolErrorsAndSwitch() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            // Preface, then a DATA frame on stream 0 (a connection error, RFC 9113 §6.1).
            try await client.send(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0]
                                  + [0, 0, 1, 0, 0, 0, 0, 0, 0, 0x61])
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(ending == .closed)
            let goAway = try #require(decodeFrames(bytes).last { $0.type == 7 })
            #expect(Array(goAway.payload[4..<8]) == [0, 0, 0, 1], "PROTOCOL_ERROR")
            #expect(server.recorder.protocolErrors.count == 1)
        }
        var off = TestServer.Configuration()
        off.servesHTTP2 = false
        try await withServer(off) { server in
            let result = try await Curl.run(["--http2-prior-knowledge", server.url("/status/200")])
            #expect(result.exitCode != 0)
            #expect(server.recorder.protocolErrors.count == 1)
        }
        var offTLS = TestServer.Configuration.tls()
        offTLS.servesHTTP2 = false
        try await withServer(offTLS) { server in
            let caFile = try temporaryFile(try #require(server.caCertificatePEM), name: "ca.pem")
            defer { try? FileManager.default.removeItem(atPath: caFile) }
            let result = try await Curl.run(["--http2", "--cacert", caFile, "-w", "%{http_version}", server.url("/status/204")])
            #expect(result.outputString == "1.1")
        }
    }
}
