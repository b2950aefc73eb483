import Testing
import Courier
import CourierTLS
import CourierTestServer
import CourierTestSupport
import Synchronization

/// The same exchanges against real servers in every protocol mode: nginx (HTTP/1.1 cleartext and TLS, h2 over
/// TLS, h2c) and nghttpd (h2 over TLS, h2c): a small GET, 100 MB streamed and checked byte for byte, a 10 MB
/// streamed upload, and 200 concurrent requests.
@Suite(.enabled(if: NginxServer.isAvailable && NghttpdServer.isAvailable))
struct InteropMatrixTests {
    enum Peer: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case nginxHTTP1, nginxHTTP1TLS, nginxH2TLS, nginxH2C, nghttpdH2TLS, nghttpdH2C
        var testDescription: String { rawValue }
        var expectedVersion: HTTPProtocolVersion {
            switch self {
            case .nginxHTTP1, .nginxHTTP1TLS: .http1_1
            default: .http2
            }
        }
    }

    /// A running peer and a client configured for it.
    final class Setup: @unchecked Sendable {
        let client: HTTPClient
        let baseURL: String
        let uploadPath: String
        private let stop: () -> Void
        init(client: HTTPClient, baseURL: String, uploadPath: String, stop: @escaping () -> Void) {
            self.client = client
            self.baseURL = baseURL
            self.uploadPath = uploadPath
            self.stop = stop
        }
        func shutdown() async {
            await client.shutdown()
            stop()
        }
    }

    static let bigSize = 100 << 20

    static func start(_ peer: Peer, uploadSink: TestServer) throws -> Setup {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = authority.trustRoots
        let files = ["100m": bigSize]
        // nginx cannot keep an upload; it forwards /sink to the in-process server, which counts the bytes.
        let forward = "location = /sink { client_max_body_size 0; proxy_request_buffering off; proxy_http_version 1.1; proxy_pass http://127.0.0.1:\(uploadSink.port)/upload; }"
        switch peer {
        case .nginxHTTP1, .nginxHTTP1TLS, .nginxH2TLS, .nginxH2C:
            let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM, files: files,
                                              extraServerConfig: forward)
            let base: String
            switch peer {
            case .nginxHTTP1: base = "http://127.0.0.1:\(nginx.httpPort)"
            case .nginxHTTP1TLS:
                configuration.httpVersion = .http1Only
                base = "https://localhost:\(nginx.httpsPort)"
            case .nginxH2TLS: base = "https://localhost:\(nginx.httpsPort)"
            default:
                configuration.httpVersion = .http2PriorKnowledge
                base = "http://127.0.0.1:\(nginx.h2cPort)"
            }
            return Setup(client: HTTPClient(configuration: configuration), baseURL: base, uploadPath: "/sink", stop: nginx.stop)
        case .nghttpdH2TLS, .nghttpdH2C:
            let tls = peer == .nghttpdH2TLS
            let nghttpd = try NghttpdServer.start(certificatePEM: tls ? leaf.chainPEM : nil,
                                                  privateKeyPEM: tls ? leaf.privateKeyPEM : nil, files: files)
            if !tls { configuration.httpVersion = .http2PriorKnowledge }
            let base = tls ? "https://localhost:\(nghttpd.port)" : "http://127.0.0.1:\(nghttpd.port)"
            return Setup(client: HTTPClient(configuration: configuration), baseURL: base, uploadPath: "/small", stop: nghttpd.stop)
        }
    }

    @Test(arguments: Peer.allCases)
    func exchanges(with peer: Peer) async throws {
        let sink = try await TestServer.start()
        let setup = try Self.start(peer, uploadSink: sink)
        let client = setup.client
        let base = setup.baseURL

        // A small GET.
        let small = try await withTimeout {
            let response = try await client.get(base + "/small")
            #expect(response.version == peer.expectedVersion)
            return try await response.body.string(upTo: 4096)
        }
        #expect(small == NginxServer.smallBody)

        // 100 MB streamed, checked byte for byte as it arrives, in bounded memory.
        let (received, intact) = try await withTimeout(.seconds(240)) {
            let response = try await client.get(base + "/100m")
            var offset = 0
            var intact = true
            for try await chunk in response.body {
                if intact && !PatternCheck.matches(chunk, at: offset) { intact = false }
                offset += chunk.readableBytes
            }
            return (offset, intact)
        }
        #expect(received == Self.bigSize)
        #expect(intact)

        // 10 MB streamed upload.
        let uploadSize = 10 << 20
        let chunks = (0..<40).map { _ in ByteBuffer(repeating: 0x61, count: uploadSize / 40) }
        let answer = try await withTimeout(.seconds(120)) {
            let response = try await client.post(base + setup.uploadPath, body: .stream(StreamOf(chunks), length: uploadSize))
            return (response.status.code, try await response.body.collect(upTo: uploadSize + 4096).readableBytes)
        }
        if setup.uploadPath == "/sink" {
            #expect(answer.0 == 200)
            #expect(sink.recorder.requests(path: "/upload").last?.bodyLength == uploadSize)
        } else {
            // nghttpd --echo-upload sends the body back.
            #expect(answer.0 == 200)
            #expect(answer.1 == uploadSize)
        }

        // 200 concurrent requests.
        let okCount = try await withTimeout(.seconds(120)) {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await client.get(base + "/small").body.string(upTo: 4096) == NginxServer.smallBody }
                }
                var ok = 0
                for try await success in group where success { ok += 1 }
                return ok
            }
        }
        #expect(okCount == 200)
        await setup.shutdown()
        await sink.shutdown()
    }
}
