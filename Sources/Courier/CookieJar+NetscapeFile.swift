#if canImport(Glibc)
import Glibc
#endif

/// The Netscape cookie file format that curl (`-b`/`-c`), wget and browsers' exporters use: one cookie per
/// line, seven tab-separated fields — domain, whether subdomains match (`TRUE`/`FALSE`), path, secure,
/// expiry (seconds since 1970, 0 for a session cookie), name, value — with `#HttpOnly_` before the domain of
/// HttpOnly cookies. `SameSite` has no column and is not kept.
extension CookieJar {
    /// The first line curl writes (and recognizes).
    public static let netscapeFileHeader = "# Netscape HTTP Cookie File"

    /// Adds the cookies of a Netscape cookie file's text; malformed lines are skipped. Returns how many
    /// cookies were read. Expired cookies are not loaded; session cookies are (as curl does).
    @discardableResult
    public func loadNetscapeCookies(_ text: String) -> Int {
        var loaded = 0
        let now = self.now
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            var httpOnly = false
            if line.hasPrefix("#HttpOnly_") {
                httpOnly = true
                line = line.dropFirst("#HttpOnly_".count)
            } else if line.hasPrefix("#") || line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 7 || fields.count == 6 else { continue }
            var domain = fields[0].lowercased()
            let includeSubdomains = fields[1].uppercased() == "TRUE"
            if domain.hasPrefix(".") { domain.removeFirst() }
            guard !domain.isEmpty, let expiry = Int64(fields[4]) else { continue }
            let cookie = Cookie(name: String(fields[5]), value: fields.count == 7 ? String(fields[6]) : "",
                                domain: domain, isHostOnly: !includeSubdomains,
                                path: fields[2].hasPrefix("/") ? String(fields[2]) : "/",
                                expires: expiry == 0 ? nil : expiry, isSecure: fields[3].uppercased() == "TRUE",
                                isHTTPOnly: httpOnly)
            guard !cookie.name.isEmpty, !cookie.isExpired(at: now) else { continue }
            insert(cookie)
            loaded += 1
        }
        return loaded
    }

    /// The jar as a Netscape cookie file (session cookies included, with expiry 0).
    public func netscapeCookies() -> String {
        var text = CookieJar.netscapeFileHeader + "\n# Written by Courier. Edit at your own risk.\n\n"
        for cookie in allCookies {
            let domain = (cookie.isHTTPOnly ? "#HttpOnly_" : "") + (cookie.isHostOnly ? "" : ".") + cookie.domain
            text += [domain, cookie.isHostOnly ? "FALSE" : "TRUE", cookie.path, cookie.isSecure ? "TRUE" : "FALSE",
                     String(cookie.expires.map { max($0, 1) } ?? 0), cookie.name, cookie.value].joined(separator: "\t")
            text += "\n"
        }
        return text
    }

    /// Loads a Netscape cookie file (`curl -b file`). A missing file loads nothing, as in curl.
    @discardableResult
    public func loadNetscapeCookieFile(atPath path: String) throws(HTTPClientError) -> Int {
        guard let file = fopen(path, "rb") else {
            if errno == ENOENT { return 0 }
            throw HTTPClientError(.invalidRequest, "cannot read the cookie file \(path) (errno \(errno))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= 64 << 20 else {
                throw HTTPClientError(.limitExceeded, "the cookie file \(path) is larger than 64 MiB")
            }
        }
        return loadNetscapeCookies(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes the jar to `path` in the Netscape format (`curl -c file`), replacing the file.
    public func saveNetscapeCookieFile(atPath path: String) throws(HTTPClientError) {
        let text = netscapeCookies()
        let temporary = path + ".tmp-\(getpid())"
        guard let file = fopen(temporary, "wb") else {
            throw HTTPClientError(.invalidRequest, "cannot write the cookie file \(path) (errno \(errno))")
        }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file) == 0
        guard written == bytes.count, closed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw HTTPClientError(.invalidRequest, "cannot write the cookie file \(path) (errno \(errno))")
        }
    }
}
