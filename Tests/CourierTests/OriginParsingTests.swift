import Testing
@testable import Courier

/// The authority of a request, split into host and port (scanned as UTF-8 code units).
@Suite struct OriginParsingTests {
    @Test(arguments: [
        ("example.com", "example.com", nil),
        ("example.com:8080", "example.com", 8080),
        ("user:secret@example.com:81", "example.com", 81),
        ("a@b@example.com", "example.com", nil),
        ("[::1]", "::1", nil),
        ("[::1]:8443", "::1", 8443),
        ("user@[fe80::1]:1", "fe80::1", 1),
        ("127.0.0.1:65535", "127.0.0.1", 65535),
        ("bücher.example:80", "bücher.example", 80),
        ("host:", "host", nil),
        ("host:0080", "host", 80),
    ] as [(String, String, Int?)])
    func validAuthorities(_ authority: String, _ host: String, _ port: Int?) throws {
        let parsed = try HTTPClient.splitAuthority(authority)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["", ":80", "[::1", "[::1]x", "[::1]:x", "host:0", "host:65536", "host:-1", "ho st", "a/b:80",
                      "user@", "h\r\n:80",
                      "host:+80", "host:8 0", "host:99999999999999999999999"])
    func invalidAuthorities(_ authority: String) {
        #expect(throws: HTTPClientError.self) { try HTTPClient.splitAuthority(authority) }
    }

    /// Schemes in any case; the common lowercase spellings take a shortcut that must agree with the rest.
    @Test func schemesAreMatchedInAnyCase() throws {
        #expect(try HTTPClient.origin(scheme: "http", authority: "a:1") == Origin(scheme: .http, host: "a", port: 1))
        #expect(try HTTPClient.origin(scheme: "HTTPS", authority: "a") == Origin(scheme: .https, host: "a", port: 443))
        #expect(try HTTPClient.origin(scheme: "Http+Unix", authority: "%2Ftmp%2Fs").unixSocketPath == "/tmp/s")
        #expect(throws: HTTPClientError.self) { try HTTPClient.origin(scheme: "ftp", authority: "a") }
        #expect(throws: HTTPClientError.self) { try HTTPClient.origin(scheme: "https", authority: "") }
        #expect(try HTTPClient.origin(scheme: "https", authority: "[::1]:8443").host == "::1")
    }
}
