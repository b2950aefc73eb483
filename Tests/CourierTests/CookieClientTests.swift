import CourierCore
import Testing
import Courier
import CourierTestSupport
import Foundation

/// The cookie jar wired into the client: mock transport and nginx (with curl reading and writing the files).
@Suite struct CookieClientTests {
    final class Seen: Sendable { let cookies = Locked<[String: String?]>([:]) }

    @Test func cookiesFlowAcrossRequestsAndRedirectHopsWhenEnabled() async throws {
        let seen = Seen()
        var configuration = HTTPClient.Configuration()
        configuration.cookieJar = CookieJar()
        configuration.transport = .mock { request in
            let key = "\(request.head.authority!)\(request.head.path!)"
            seen.cookies.withLock { $0[key] = request.head.headerFields[.cookie] }
            switch request.head.path {
            case "/login":
                return HTTPClientResponse(head: HTTPResponse(status: .found, headerFields: [
                    .location: "/home", .setCookie: "session=abc; Path=/; HttpOnly",
                ]))
            case "/prefs":
                var fields = HTTPFields()
                fields.append(HTTPField(name: .setCookie, value: "theme=dark"))
                fields.append(HTTPField(name: .setCookie, value: "lang=en; Path=/prefs"))
                return HTTPClientResponse(head: HTTPResponse(status: .ok, headerFields: fields))
            case "/away":
                return HTTPClientResponse(head: HTTPResponse(status: .found, headerFields: [.location: "http://other.test/land"]))
            default:
                return HTTPClientResponse(head: HTTPResponse(status: .ok))
            }
        }
        let client = HTTPClient(configuration: configuration)
        _ = try await withTimeout { try await client.get("http://site.test/login") }
        _ = try await withTimeout { try await client.get("http://site.test/prefs") }
        _ = try await withTimeout { try await client.get("http://site.test/prefs/x", headerFields: [.cookie: "mine=1"]) }
        _ = try await withTimeout { try await client.get("http://site.test/away") }
        let cookies = seen.cookies.withLock { $0 }
        #expect(cookies["site.test/login"] == .some(nil))
        #expect(cookies["site.test/home"] == "session=abc")
        #expect(cookies["site.test/prefs"] == "session=abc")
        #expect(cookies["site.test/prefs/x"] == "mine=1; lang=en; session=abc; theme=dark")
        #expect(cookies["other.test/land"] == .some(nil))
        #expect(configuration.cookieJar!.allCookies.count == 3)
    }

    @Test func offByDefault() async throws {
        let seen = Seen()
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock { request in
            seen.cookies.withLock { $0[request.head.path!] = request.head.headerFields[.cookie] }
            return HTTPClientResponse(head: HTTPResponse(status: .ok, headerFields: [.setCookie: "a=1"]))
        }
        let client = HTTPClient(configuration: configuration)
        _ = try await withTimeout { try await client.get("http://site.test/1") }
        _ = try await withTimeout { try await client.get("http://site.test/2") }
        #expect(seen.cookies.withLock { $0["/2"] } == .some(nil))
    }

    static let nginxLocations = """
        location = /set { add_header Set-Cookie "flavour=oat; Path=/" always; add_header Set-Cookie "scoped=1; Path=/only" always; return 200 'set'; }
        location = /login { add_header Set-Cookie "session=s3cret; HttpOnly" always; return 302 /show; }
        location = /show { default_type text/plain; return 200 '$http_cookie'; }
        """

    @Test(.enabled(if: NginxServer.isAvailable)) func againstNginxAndCurlCookieFiles() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.nginxLocations)
        defer { nginx.stop() }
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        var configuration = HTTPClient.Configuration()
        let jar = CookieJar()
        configuration.cookieJar = jar
        let client = HTTPClient(configuration: configuration)
        let shown = try await withTimeout {
            _ = try await client.get(base + "/set").body.collect(upTo: 100)
            return try await client.get(base + "/login").body.string(upTo: 1000)
        }
        #expect(shown == "flavour=oat; session=s3cret")
        await client.shutdown()

        let curl = "/usr/bin/curl"
        guard FileManager.default.isExecutableFile(atPath: curl) else { return }
        let directory = nginx.directory
        // Courier writes, curl reads (-b) and sends.
        try jar.saveNetscapeCookieFile(atPath: directory + "/ours.txt")
        let output = directory + "/curl-out.txt"
        var process = try ChildProcess([curl, "-s", "-b", directory + "/ours.txt", "-o", output, base + "/show"])
        #expect(await process.exitCode() == 0)
        // curl orders cookies of equal path length its own way; the set is what matters.
        let curlSent = try String(contentsOfFile: output, encoding: .utf8)
        #expect(Set(curlSent.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
                == ["flavour=oat", "session=s3cret"])
        // curl writes (-c), Courier reads and sends.
        process = try ChildProcess([curl, "-s", "-c", directory + "/theirs.txt", "-o", "/dev/null", base + "/set"])
        #expect(await process.exitCode() == 0)
        let loaded = CookieJar()
        #expect(try loaded.loadNetscapeCookieFile(atPath: directory + "/theirs.txt") == 2)
        var fromCurl = HTTPClient.Configuration()
        fromCurl.cookieJar = loaded
        let second = HTTPClient(configuration: fromCurl)
        let sent = try await withTimeout { try await second.get(base + "/show").body.string(upTo: 1000) }
        #expect(sent == "flavour=oat")
        await second.shutdown()
    }
}
