import Testing
import Courier
import CourierTLS
import CourierTestSupport
import Synchronization

/// The public client against nginx on loopback (cleartext HTTP/1.1 and HTTP/1.1 over TLS).
@Suite(.enabled(if: NginxServer.isAvailable)) struct NginxInteropTests {
    @Test func getSmallOverCleartext() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        let (status, body, version) = try await withTimeout {
            let response = try await client.get("http://127.0.0.1:\(nginx.httpPort)/small")
            return (response.status.code, try await response.body.string(upTo: 1 << 20), response.version)
        }
        #expect(status == 200)
        #expect(body == NginxServer.smallBody)
        #expect(version == .http1_1)
    }

    @Test func manyConcurrentRequestsShareThePool() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(nginx.httpPort)/small"
        let okCount = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let response = try await client.get(url)
                        return try await response.body.string(upTo: 4096) == NginxServer.smallBody && response.status == .ok
                    }
                }
                var ok = 0
                for try await success in group where success { ok += 1 }
                return ok
            }
        }
        #expect(okCount == 200)
        await client.shutdown()
    }

    @Test func getOverTLSWithAGeneratedAuthority() async throws {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM,
                                          files: ["1m": 1 << 20])
        defer { nginx.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = authority.trustRoots
        configuration.httpVersion = .http1Only
        let client = HTTPClient(configuration: configuration)
        let (status, size) = try await withTimeout {
            let response = try await client.get("https://localhost:\(nginx.httpsPort)/1m")
            return (response.status.code, try await response.body.collect(upTo: 4 << 20).readableBytes)
        }
        #expect(status == 200)
        #expect(size == 1 << 20)
        await client.shutdown()
    }

    @Test func http2OverTLSNegotiatedWithALPN() async throws {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM,
                                          files: ["1m": 1 << 20])
        defer { nginx.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = authority.trustRoots
        let client = HTTPClient(configuration: configuration)
        let (version, status, size, small) = try await withTimeout {
            let response = try await client.get("https://localhost:\(nginx.httpsPort)/1m")
            let size = try await response.body.collect(upTo: 4 << 20).readableBytes
            let small = try await client.get("https://localhost:\(nginx.httpsPort)/small").body.string(upTo: 4096)
            return (response.version, response.status.code, size, small)
        }
        #expect(version == .http2)
        #expect(status == 200)
        #expect(size == 1 << 20)
        #expect(small == NginxServer.smallBody)
        await client.shutdown()
    }

    @Test func h2cWithPriorKnowledgeMultiplexesConcurrentRequests() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http2PriorKnowledge
        let client = HTTPClient(configuration: configuration)
        let url = "http://127.0.0.1:\(nginx.h2cPort)/small"
        let results = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: (HTTPProtocolVersion, String).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let response = try await client.get(url)
                        return (response.version, try await response.body.string(upTo: 4096))
                    }
                }
                var all: [(HTTPProtocolVersion, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
        }
        #expect(results.count == 200)
        #expect(results.allSatisfy { $0.0 == .http2 && $0.1 == NginxServer.smallBody })
        await client.shutdown()
    }

    @Test func refusedConnectionIsAConnectError() async throws {
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://127.0.0.1:\(port)/") }
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.isConnectError == true)
        await client.shutdown()
    }

    @Test func invalidURLsAreRejectedBeforeConnecting() async throws {
        let client = HTTPClient()
        for url in ["ftp://example.com/", "http://", "http://exa mple.com/", "http://host:99999/", "nonsense"] {
            let error = await #expect(throws: HTTPClientError.self) { _ = try await client.get(url) }
            #expect(error?.code == .invalidRequest, "\(url)")
        }
    }
}
