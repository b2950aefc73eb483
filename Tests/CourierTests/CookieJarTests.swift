import CourierCore
import Testing
import Courier
import CourierTestSupport
import Foundation

/// The cookie jar's RFC 6265 rules, through its public API.
@Suite struct CookieJarTests {
    /// A jar whose clock stands at 2024-01-01T00:00:00Z (1704067200) and moves when told.
    final class Clock: Sendable {
        let seconds = Locked<Int64>(1_704_067_200)
        func advance(_ by: Int64) { seconds.withLock { $0 += by } }
    }

    static func jar(_ clock: Clock = Clock(), limits: CookieJar.Limits = CookieJar.Limits()) -> CookieJar {
        CookieJar(limits: limits, now: { clock.seconds.withLock { $0 } })
    }

    static func names(_ jar: CookieJar, _ url: String) -> [String] { jar.cookies(for: url).map(\.name) }

    @Test func hostOnlyAndDomainCookies() {
        let jar = Self.jar()
        #expect(jar.store(setCookie: "host=1", from: "http://www.example.com/"))
        #expect(jar.store(setCookie: "dom=1; Domain=example.com", from: "http://www.example.com/"))
        #expect(jar.store(setCookie: "dot=1; Domain=.EXAMPLE.com", from: "http://www.example.com/"))
        #expect(!jar.store(setCookie: "other=1; Domain=other.com", from: "http://www.example.com/"))
        #expect(!jar.store(setCookie: "sub=1; Domain=deep.www.example.com", from: "http://www.example.com/"))
        #expect(!jar.store(setCookie: "tld=1; Domain=com", from: "http://www.example.com/"))
        #expect(!jar.store(setCookie: "novalue", from: "http://www.example.com/"))
        #expect(!jar.store(setCookie: "=nameless", from: "http://www.example.com/"))
        #expect(Self.names(jar, "http://www.example.com/") == ["host", "dom", "dot"])
        #expect(Self.names(jar, "http://example.com/") == ["dom", "dot"])
        #expect(Self.names(jar, "http://a.b.example.com/") == ["dom", "dot"])
        #expect(Self.names(jar, "http://notexample.com/") == [])
        // A single-label domain is accepted only from that very host, as host-only.
        #expect(jar.store(setCookie: "local=1; Domain=localhost", from: "http://localhost:8080/"))
        #expect(Self.names(jar, "http://localhost/") == ["local"])
        #expect(Self.names(jar, "http://sub.localhost/") == [])
    }

    @Test func ipAddressesMatchOnlyThemselves() {
        let jar = Self.jar()
        #expect(jar.store(setCookie: "a=1", from: "http://192.168.0.1/"))
        #expect(!jar.store(setCookie: "b=1; Domain=168.0.1", from: "http://192.168.0.1/"))
        #expect(jar.store(setCookie: "c=1; Domain=192.168.0.1", from: "http://192.168.0.1/"))
        #expect(Self.names(jar, "http://192.168.0.1:8080/x") == ["a", "c"])
        #expect(Self.names(jar, "http://10.192.168.0.1/") == [])
        #expect(jar.store(setCookie: "v6=1", from: "http://[::1]:80/"))
        #expect(Self.names(jar, "http://[::1]/") == ["v6"])
    }

    @Test func pathsDefaultAndMatchAsTheRFCSays() {
        let jar = Self.jar()
        jar.store(setCookie: "root=1; Path=/", from: "http://h.example/a/b/c")
        jar.store(setCookie: "dflt=1", from: "http://h.example/a/b/c?x=/y")  // default path /a/b
        jar.store(setCookie: "foo=1; Path=/foo", from: "http://h.example/")
        jar.store(setCookie: "bad=1; Path=relative", from: "http://h.example/q/r")  // default path /q
        #expect(jar.cookies(for: "http://h.example/").first { $0.name == "dflt" } == nil)
        #expect(Self.names(jar, "http://h.example/a/b") == ["dflt", "root"])
        #expect(Self.names(jar, "http://h.example/a/b/c/d") == ["dflt", "root"])
        #expect(Self.names(jar, "http://h.example/a/bc") == ["root"])
        #expect(Self.names(jar, "http://h.example/foo") == ["foo", "root"])
        #expect(Self.names(jar, "http://h.example/foo/bar") == ["foo", "root"])
        #expect(Self.names(jar, "http://h.example/foobar") == ["root"])
        #expect(Self.names(jar, "http://h.example/q/r") == ["bad", "root"])
    }

    @Test func orderIsLongerPathFirstThenCreation() {
        let jar = Self.jar()
        jar.store(setCookie: "b=1; Path=/", from: "http://h.example/")
        jar.store(setCookie: "a=1; Path=/", from: "http://h.example/")
        jar.store(setCookie: "deep=1; Path=/x/y", from: "http://h.example/")
        jar.store(setCookie: "mid=1; Path=/x", from: "http://h.example/")
        // Replacing a cookie keeps its creation time.
        jar.store(setCookie: "b=2; Path=/", from: "http://h.example/")
        let request = HTTPRequest(method: .get, scheme: "http", authority: "h.example", path: "/x/y/z")
        #expect(jar.cookieHeader(for: request) == "deep=1; mid=1; b=2; a=1")
    }

    @Test func expiresMaxAgeAndDeletion() {
        let clock = Clock()
        let jar = Self.jar(clock)
        jar.store(setCookie: "session=1", from: "http://h.example/")
        jar.store(setCookie: "future=1; Expires=Wed, 01 Jan 2025 00:00:00 GMT", from: "http://h.example/")
        jar.store(setCookie: "past=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT", from: "http://h.example/")
        jar.store(setCookie: "maxage=1; Max-Age=60; Expires=Sun, 06 Nov 1994 08:49:37 GMT", from: "http://h.example/")
        jar.store(setCookie: "zero=1; Max-Age=0", from: "http://h.example/")
        jar.store(setCookie: "junkdate=1; Expires=not a date", from: "http://h.example/")
        #expect(Set(Self.names(jar, "http://h.example/")) == ["session", "future", "maxage", "junkdate"])
        #expect(jar.cookies(for: "http://h.example/").first { $0.name == "future" }?.expires == 1_735_689_600)
        clock.advance(61)
        #expect(Set(Self.names(jar, "http://h.example/")) == ["session", "future", "junkdate"])
        // A Max-Age of zero or less deletes an existing cookie.
        jar.store(setCookie: "future=gone; Max-Age=-1", from: "http://h.example/")
        #expect(Set(Self.names(jar, "http://h.example/")) == ["session", "junkdate"])
        jar.removeSessionCookies()
        #expect(Self.names(jar, "http://h.example/") == [])
    }

    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", Int64(784_111_777)),   // RFC 1123
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),        // RFC 850
        ("Sun Nov  6 08:49:37 1994", 784_111_777),              // asctime
        ("6 nov 1994 8:49:37", 784_111_777),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Mon, 29 Feb 2016 12:00:00 GMT", 1_456_747_200),
        ("Wed, 01 Jan 2070 00:00:00 GMT", 3_155_760_000),
    ])
    func cookieDatesParse(text: String, expected: Int64) {
        let jar = Self.jar()
        jar.store(setCookie: "d=1; Expires=\(text)", from: "http://h.example/")
        let cookie = CookieJar(now: { 0 })
        cookie.store(setCookie: "d=1; Expires=\(text)", from: "http://h.example/")
        #expect(cookie.allCookies.first?.expires == expected || (expected == 0 && cookie.allCookies.isEmpty), "\(text)")
    }

    @Test func invalidDatesAreIgnored() {
        let jar = CookieJar(now: { 0 })
        for text in ["Feb 30 2020 10:00:00", "32 Jan 2020 10:00:00", "1 Jan 1600 10:00:00", "1 Jan 2020 24:00:00",
                     "1 Jan 2020", "10:00:00 2020 Jan"] {
            jar.store(setCookie: "d=1; Expires=\(text)", from: "http://h.example/")
            #expect(jar.allCookies.first?.expires == nil, "\(text)")
        }
    }

    @Test func secureHttpOnlySameSiteAndPrefixes() {
        let jar = Self.jar()
        #expect(jar.store(setCookie: "s=1; Secure; HttpOnly; SameSite=Strict", from: "https://h.example/"))
        #expect(!jar.store(setCookie: "s2=1; Secure", from: "http://h.example/"))
        #expect(jar.store(setCookie: "lax=1; samesite=lax", from: "http://h.example/"))
        #expect(jar.store(setCookie: "none=1; SameSite=None; Secure", from: "https://h.example/"))
        #expect(Self.names(jar, "http://h.example/") == ["lax"])
        #expect(Self.names(jar, "https://h.example/") == ["s", "lax", "none"])
        let secure = jar.cookies(for: "https://h.example/")
        #expect(secure[0].isHTTPOnly && secure[0].isSecure && secure[0].sameSite == .strict)
        #expect(secure[1].sameSite == .lax && secure[2].sameSite == .noRestriction)
        // Loopback counts as secure.
        #expect(jar.store(setCookie: "loop=1; Secure", from: "http://127.0.0.1:8080/"))
        #expect(Self.names(jar, "http://127.0.0.1:8080/") == ["loop"])
        // __Secure- needs Secure from a secure origin; __Host- also host-only and Path=/.
        #expect(!jar.store(setCookie: "__Secure-a=1", from: "https://h.example/"))
        #expect(jar.store(setCookie: "__Secure-b=1; Secure; Domain=h.example", from: "https://h.example/"))
        #expect(!jar.store(setCookie: "__Host-c=1; Secure; Path=/; Domain=h.example", from: "https://www.h.example/"))
        #expect(!jar.store(setCookie: "__Host-d=1; Secure", from: "https://h.example/x/y"))
        #expect(jar.store(setCookie: "__Host-e=1; Secure; Path=/", from: "https://h.example/x/y"))
    }

    @Test func limitsBoundTheJar() {
        var limits = CookieJar.Limits()
        limits.maximumCookiesPerDomain = 3
        limits.maximumCookies = 5
        limits.maximumCookieSize = 20
        let jar = Self.jar(limits: limits)
        for index in 0..<5 { jar.store(setCookie: "c\(index)=v", from: "http://a.example/") }
        #expect(Self.names(jar, "http://a.example/") == ["c2", "c3", "c4"])
        for index in 0..<4 { jar.store(setCookie: "d\(index)=v", from: "http://b.example/") }
        #expect(jar.allCookies.count == 5)
        #expect(!jar.store(setCookie: "big=" + String(repeating: "x", count: 30), from: "http://a.example/"))
    }

    @Test func netscapeFileRoundTripAndCurlSyntax() throws {
        let jar = Self.jar()
        jar.store(setCookie: "host=1; Path=/p", from: "http://h.example/")
        jar.store(setCookie: "dom=2; Domain=h.example; Secure; HttpOnly; Max-Age=3600", from: "https://h.example/")
        let text = jar.netscapeCookies()
        #expect(text.hasPrefix(CookieJar.netscapeFileHeader))
        #expect(text.contains("h.example\tFALSE\t/p\tFALSE\t0\thost\t1\n"))
        #expect(text.contains("#HttpOnly_.h.example\tTRUE\t/\tTRUE\t\(1_704_067_200 + 3600)\tdom\t2\n"))
        let copy = Self.jar()
        #expect(copy.loadNetscapeCookies(text) == 2)
        #expect(copy.allCookies == jar.allCookies)

        // What curl writes, including comments, blank lines, CRLF and an expired cookie.
        let curl = "# Netscape HTTP Cookie File\r\n# https://curl.se/docs/http-cookies.html\r\n\r\n"
            + ".example.org\tTRUE\t/\tFALSE\t0\tsid\tabc\r\n"
            + "#HttpOnly_api.example.org\tFALSE\t/v1\tTRUE\t2000000000\ttoken\tx=y\r\n"
            + "old.example.org\tFALSE\t/\tFALSE\t1000\tgone\t1\r\n"
            + "broken line\n"
        let loaded = Self.jar()
        #expect(loaded.loadNetscapeCookies(curl) == 2)
        #expect(Self.names(loaded, "https://api.example.org/v1/x") == ["token", "sid"])
        #expect(loaded.cookies(for: "https://api.example.org/v1").first?.value == "x=y")
        #expect(Self.names(loaded, "http://api.example.org/v1") == ["sid"])
    }

    @Test func cookieFilesOnDisk() throws {
        let path = "/tmp/courier-cookies-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { unlinkFile(path) }
        let jar = Self.jar()
        #expect(try jar.loadNetscapeCookieFile(atPath: path) == 0)  // missing: nothing, like curl
        jar.store(setCookie: "a=1", from: "http://h.example/")
        try jar.saveNetscapeCookieFile(atPath: path)
        let again = Self.jar()
        #expect(try again.loadNetscapeCookieFile(atPath: path) == 1)
        #expect(Self.names(again, "http://h.example/") == ["a"])
    }
}

func unlinkFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
