import Testing
import Courier
import CourierTLS
import CourierReactor
import CourierTestSupport
import Foundation

/// Requests through a real forward proxy (tinyproxy) to nginx, cleartext and TLS, and through a scripted
/// fake proxy for the failures a real one rarely shows.
@Suite(.enabled(if: TinyProxy.isAvailable && NginxServer.isAvailable)) struct ProxyInteropTests {
    static let locations = """
        location = /via { default_type text/plain; return 200 'via=$http_via auth=$http_proxy_authorization'; }
        """

    /// A client whose resolver knows no names: only IP literals connect, so a request to `localhost` can
    /// succeed only through the proxy (which resolves it).
    static func client(proxy: HTTPClient.ProxyConfiguration, trust: TLSTrustRoots? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.proxy = proxy
        configuration.resolver = StaticResolver([:])
        configuration.httpVersion = .http1Only
        if let trust { configuration.tls.trustRoots = trust }
        return HTTPClient(configuration: configuration)
    }

    @Test func cleartextRequestsAreForwardedInAbsoluteForm() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.locations)
        defer { nginx.stop() }
        let proxy = try TinyProxy.start()
        defer { proxy.stop() }
        let client = Self.client(proxy: try .url("http://127.0.0.1:\(proxy.port)"))
        let (status, body) = try await withTimeout {
            let response = try await client.get("http://127.0.0.1:\(nginx.httpPort)/via")
            return (response.status, try await response.body.string(upTo: 1000))
        }
        #expect(status == .ok)
        #expect(body.contains("tinyproxy"), "\(body)")
        // Several requests, one pooled connection to the proxy (absolute-form keep-alive).
        for _ in 0..<3 {
            let small = try await withTimeout {
                try await client.get("http://127.0.0.1:\(nginx.httpPort)/small").body.string(upTo: 1000)
            }
            #expect(small == NginxServer.smallBody)
        }
        #expect(proxy.log.contains("GET http://127.0.0.1:\(nginx.httpPort)/small"), "\(proxy.log)")
        await client.shutdown()
    }

    @Test func httpsGoesThroughAConnectTunnel() async throws {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM,
                                          files: ["256k": 256 << 10], extraServerConfig: Self.locations)
        defer { nginx.stop() }
        let proxy = try TinyProxy.start()
        defer { proxy.stop() }
        let client = Self.client(proxy: .proxy(HTTPClient.Proxy(host: "127.0.0.1", port: proxy.port)),
                                 trust: authority.trustRoots)
        let (body, size) = try await withTimeout {
            let via = try await client.get("https://localhost:\(nginx.httpsPort)/via").body.string(upTo: 1000)
            let big = try await client.get("https://localhost:\(nginx.httpsPort)/256k").body.collect(upTo: 1 << 20)
            return (via, big.readableBytes)
        }
        // Inside the tunnel the proxy sees only ciphertext: no Via header, no credentials leak to the origin.
        #expect(body == "via= auth=")
        #expect(size == 256 << 10)
        #expect(proxy.log.contains("CONNECT localhost:\(nginx.httpsPort)"), "\(proxy.log)")
        await client.shutdown()
    }

    @Test func basicAuthenticationWithTheProxy() async throws {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM,
                                          extraServerConfig: Self.locations)
        defer { nginx.stop() }
        let proxy = try TinyProxy.start(credentials: ("alice", "secret"))
        defer { proxy.stop() }

        let anonymous = Self.client(proxy: try .url("http://127.0.0.1:\(proxy.port)"), trust: authority.trustRoots)
        // Cleartext: the proxy's 407 is the response.
        let refused = try await withTimeout { try await anonymous.get("http://127.0.0.1:\(nginx.httpPort)/small") }
        #expect(refused.status.code == 407)
        refused.body.cancel()
        // TLS: the tunnel is refused, a typed error that says why.
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await anonymous.get("https://localhost:\(nginx.httpsPort)/small") }
        }
        #expect(error?.code == .proxyFailed)
        #expect(error?.message.contains("407") == true)

        // Percent-encoded credentials in the URL ("secre%74" is "secret").
        let authorized = Self.client(proxy: try .url("http://alice:secre%74@127.0.0.1:\(proxy.port)"), trust: authority.trustRoots)
        let (plain, secure) = try await withTimeout {
            (try await authorized.get("http://127.0.0.1:\(nginx.httpPort)/small").body.string(upTo: 1000),
             try await authorized.get("https://localhost:\(nginx.httpsPort)/small").body.string(upTo: 1000))
        }
        #expect(plain == NginxServer.smallBody)
        #expect(secure == NginxServer.smallBody)
        await anonymous.shutdown()
        await authorized.shutdown()
    }

    @Test func noProxyHostsGoDirect() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.locations)
        defer { nginx.stop() }
        let proxy = try TinyProxy.start()
        defer { proxy.stop() }
        let client = Self.client(proxy: .environment(["http_proxy": "127.0.0.1:\(proxy.port)", "no_proxy": "127.0.0.0/8"]))
        let body = try await withTimeout { try await client.get("http://127.0.0.1:\(nginx.httpPort)/via").body.string(upTo: 1000) }
        #expect(body == "via= auth=")
        #expect(!proxy.log.contains("/via"))
        await client.shutdown()
    }

    @Test func proxyFailuresAreTypedErrors() async throws {
        let cases: [(ScriptedProxy.Reply, HTTPClientError.Code)] = [
            (.bytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", thenClose: true), .proxyFailed),
            (.bytes("HTTP/1.1 200 Connection established\r\n\r\nEARLY", thenClose: false), .protocolViolation),
            (.bytes("SSH-2.0-OpenSSH\r\n\r\n", thenClose: true), .proxyFailed),
            (.closeWithoutAnswer, .proxyFailed),
            (.silence, .connectTimeout),
        ]
        for (reply, expected) in cases {
            let fake = try ScriptedProxy(reply: reply)
            defer { fake.stop() }
            var configuration = HTTPClient.Configuration()
            configuration.proxy = .proxy(HTTPClient.Proxy(host: "127.0.0.1", port: fake.port, username: "u", password: "p"))
            // Only the silent proxy must run into the timeout; the others answer, however slowly a loaded machine
            // lets them.
            if case .silence = reply { configuration.timeouts.connect = .milliseconds(500) } else { configuration.timeouts.connect = .seconds(20) }
            configuration.resolver = StaticResolver([:])
            let client = HTTPClient(configuration: configuration)
            let error = await #expect(throws: HTTPClientError.self) {
                try await withTimeout { _ = try await client.get("https://origin.test:8443/") }
            }
            #expect(error?.code == expected, "\(reply): \(String(describing: error))")
            #expect(fake.received.first?.hasPrefix("CONNECT origin.test:8443 HTTP/1.1\r\nHost: origin.test:8443\r\n") == true)
            #expect(fake.received.first?.contains("Proxy-Authorization: Basic dTpw\r\n") == true)
            await client.shutdown()
        }
        // Nobody listening: a connect error that names the proxy.
        // Bound but not listening for the whole test: refused, and no test alongside can take it.
        let closedPort = try ClosedPort()
        defer { withExtendedLifetime(closedPort) {} }
        let port = closedPort.port
        var configuration = HTTPClient.Configuration()
        configuration.proxy = .proxy(HTTPClient.Proxy(host: "127.0.0.1", port: port))
        let client = HTTPClient(configuration: configuration)
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://origin.test/") }
        }
        #expect(error?.code == .connectFailed)
        #expect(error?.message.contains("proxy") == true)
        await client.shutdown()
    }
}
