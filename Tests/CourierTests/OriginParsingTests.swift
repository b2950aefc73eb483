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
    ] as [(String, String, Int?)])
    func validAuthorities(_ authority: String, _ host: String, _ port: Int?) throws {
        let parsed = try HTTPClient.splitAuthority(authority)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["", ":80", "[::1", "[::1]x", "[::1]:x", "host:0", "host:65536", "host:-1", "ho st", "a/b:80",
                      "user@", "h\r\n:80"])
    func invalidAuthorities(_ authority: String) {
        #expect(throws: HTTPClientError.self) { try HTTPClient.splitAuthority(authority) }
    }
}
