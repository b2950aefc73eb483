import Testing
import Courier

/// Proxy URLs, environment variables and NO_PROXY rules.
@Suite struct ProxyConfigurationTests {
    @Test func proxyURLs() throws {
        let plain = try HTTPClient.Proxy(url: "http://proxy.example:3128")
        #expect(plain.host == "proxy.example" && plain.port == 3128 && plain.authorization == nil)
        let bare = try HTTPClient.Proxy(url: "proxy.example")
        #expect(bare.port == 1080)
        let credentials = try HTTPClient.Proxy(url: "http://Aladdin:open%20sesame@[::1]:8080/")
        #expect(credentials.host == "::1" && credentials.port == 8080)
        #expect(credentials.username == "Aladdin" && credentials.password == "open sesame")
        #expect(credentials.authorization == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(!credentials.description.contains("sesame"))
        for bad in ["https://proxy:443", "socks5://proxy:1080", "http://proxy:notaport", "http://user:%zz@proxy:1"] {
            let error = #expect(throws: HTTPClientError.self) { _ = try HTTPClient.Proxy(url: bad) }
            #expect(error?.code == .proxyFailed, "\(bad)")
            #expect(error?.message.contains("%zz") == false)
        }
    }

    @Test func environmentPrecedence() {
        let direct = HTTPClient.ProxyConfiguration.environment([:])
        #expect(direct.proxy(for: "http://example.com/") == nil)

        let lower = HTTPClient.ProxyConfiguration.environment([
            "http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:1",
            "https_proxy": "http://secure-lower:2", "HTTPS_PROXY": "http://secure-upper:2",
        ])
        #expect(lower.proxy(for: "http://example.com/")?.host == "lower")
        #expect(lower.proxy(for: "https://example.com/")?.host == "secure-lower")

        let upper = HTTPClient.ProxyConfiguration.environment(["HTTP_PROXY": "upper:8080", "HTTPS_PROXY": "http://secure-upper:2"])
        #expect(upper.proxy(for: "http://example.com/")?.host == "upper")
        #expect(upper.proxy(for: "https://example.com/")?.host == "secure-upper")

        // In a CGI process the capitalized HTTP_PROXY may come from a request's "Proxy:" header: ignored.
        let cgi = HTTPClient.ProxyConfiguration.environment(["HTTP_PROXY": "http://evil:1", "REQUEST_METHOD": "GET"])
        #expect(cgi.proxy(for: "http://example.com/") == nil)

        let all = HTTPClient.ProxyConfiguration.environment(["ALL_PROXY": "http://all:9", "http_proxy": " "])
        #expect(all.proxy(for: "http://example.com/")?.host == "all")
        #expect(all.proxy(for: "https://example.com/")?.host == "all")

        let bypass = HTTPClient.ProxyConfiguration.environment(["https_proxy": "http://p:1", "NO_PROXY": "example.com",
                                                                "no_proxy": "internal.test"])
        #expect(bypass.proxy(for: "https://api.internal.test/") == nil)
        #expect(bypass.proxy(for: "https://example.com/")?.host == "p")
    }

    @Test func noProxyRules() {
        let rules = NoProxyRules(" .example.com, *.wild.test,exact.test:8443 , 10.0.0.0/8,192.168.1.7, [::1], fd00::/8, localhost.")
        let cases: [(String, Int, Bool)] = [
            ("example.com", 80, true), ("www.example.com", 443, true), ("EXAMPLE.com", 80, true),
            ("notexample.com", 80, false), ("example.com.evil", 80, false),
            ("a.wild.test", 80, true), ("wild.test", 80, true),
            ("exact.test", 8443, true), ("exact.test", 443, false), ("sub.exact.test", 8443, true),
            ("10.1.2.3", 80, true), ("11.1.2.3", 80, false), ("192.168.1.7", 80, true), ("192.168.1.8", 80, false),
            ("::1", 80, true), ("[::1]", 80, true), ("fd12::1", 80, true), ("fe80::1", 80, false),
            ("localhost", 80, true), ("other", 80, false),
        ]
        for (host, port, expected) in cases {
            #expect(rules.matches(host: host, port: port) == expected, "\(host):\(port)")
        }
        #expect(NoProxyRules("*").matches(host: "anything.at.all", port: 1))
        #expect(!NoProxyRules("").matches(host: "anything", port: 1))
        #expect(!NoProxyRules("10.0.0.0/x, /8").matches(host: "10.0.0.1", port: 1))
    }

    @Test func aMisconfiguredProxyFailsRequestsInsteadOfGoingDirect() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.proxy = .environment(["https_proxy": "socks5://127.0.0.1:1080"])
        let client = HTTPClient(configuration: configuration)
        let error = await #expect(throws: HTTPClientError.self) { _ = try await client.get("https://example.invalid/") }
        #expect(error?.code == .proxyFailed)
        await client.shutdown()
    }
}
