// Stores arbitrary `Set-Cookie` values (several per input, split at newlines) from a few origins in a small
// jar, then asks for the cookies of a few URLs. Checks: no crash or trap, the jar's limits hold (cookies per
// domain and in total, name + value size), a cookie is only ever sent to a URL its domain and path match,
// and Secure cookies never go to plain http on a non-loopback host.
import Courier
import Synchronization

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzCookieJar_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

let origins = ["https://www.example.com/a/b", "http://example.com/", "https://sub.www.example.com/x?y",
               "http://127.0.0.1:8080/p", "https://example.org/"]
let queries = origins + ["https://example.com/a/b/c", "http://www.example.com/a", "https://other.net/"]

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var limits = CookieJar.Limits()
    limits.maximumCookiesPerDomain = 4
    limits.maximumCookies = 8
    limits.maximumCookieSize = 64
    let clock = Atomic<Int64>(1_800_000_000)
    let jar = CookieJar(limits: limits, now: { clock.load(ordering: .relaxed) })
    for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64).enumerated() {
        jar.store(setCookie: String(line), from: origins[index % origins.count])
        clock.add(1, ordering: .relaxed)
    }
    var total = 0
    for url in queries {
        let cookies = jar.cookies(for: url)
        guard let request = try? HTTPClient.request(.get, url) else { continue }
        let host = String((request.authority ?? "").split(separator: ":").first ?? "").lowercased()
        let path = request.path ?? "/"
        for cookie in cookies {
            precondition(cookie.name.utf8.count + cookie.value.utf8.count <= limits.maximumCookieSize, "oversized cookie")
            let domain = cookie.domain.lowercased()
            precondition(host == domain || (!cookie.isHostOnly && host.hasSuffix("." + domain)),
                         "cookie for \(domain) sent to \(host)")
            precondition(path.hasPrefix(cookie.path), "cookie for path \(cookie.path) sent to \(path)")
            precondition(!cookie.isSecure || request.scheme == "https" || host == "127.0.0.1", "a Secure cookie over http")
        }
        total = max(total, cookies.count)
        _ = jar.cookieHeader(for: request)
    }
    precondition(total <= limits.maximumCookies, "more cookies than the jar holds")
    return 0
}
