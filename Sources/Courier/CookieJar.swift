import CourierCore
#if canImport(Glibc)
import Glibc
#endif

/// An in-memory cookie store following RFC 6265: stores what `Set-Cookie` fields say (domain and path
/// rules, `Secure`, `HttpOnly`, `Expires` and `Max-Age`, `SameSite` kept) and sends the matching cookies in
/// later requests. Off by default: set `Configuration.cookieJar` to share one jar across a client's
/// requests (and redirect hops). Safe to use from any task.
///
/// Without the Public Suffix List, a `Domain` attribute naming a single label (`com`, `localhost`) is taken
/// as a public suffix: accepted only from that exact host, as a host-only cookie. Also from RFC 6265bis:
/// `Secure` cookies are not accepted from http origins, and the `__Secure-` and `__Host-` prefixes are
/// enforced. Loopback hosts count as secure, as in browsers.
public final class CookieJar: Sendable {
    /// Bounds on what a jar keeps (servers cannot grow it without limit).
    public struct Limits: Sendable, Hashable {
        /// Cookies kept per domain; the least recently set go first.
        public var maximumCookiesPerDomain = 50
        /// Cookies kept in all.
        public var maximumCookies = 3000
        /// The longest `name=value` accepted, in bytes.
        public var maximumCookieSize = 4096

        /// The defaults (RFC 6265 §6.1's minimums, as browsers keep).
        public init() {}
    }

    struct Entry: Sendable {
        var cookie: Cookie
        /// Order of creation (RFC 6265 §5.4: earlier first among equal paths), kept when a cookie is replaced.
        var created: UInt64
        /// Order of the last update, for eviction.
        var updated: UInt64
    }

    struct Storage: Sendable {
        var byDomain: [String: [Entry]] = [:]
        var count = 0
        var sequence: UInt64 = 0
    }

    let storage = Locked(Storage())
    /// The limits this jar enforces.
    public let limits: Limits
    private let clock: @Sendable () -> Int64

    /// An empty jar. `now` gives the wall-clock time in seconds since 1970 (tests pass their own).
    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
        self.limits = limits
        self.clock = now
    }

    /// The current time as the jar sees it.
    public var now: Int64 { clock() }

    // MARK: - Storing

    /// Stores the cookies set by `response` to `request` (one per `Set-Cookie` field).
    public func store(from response: HTTPResponse, for request: HTTPRequest) {
        let values = response.headerFields[values: .setCookie]
        guard !values.isEmpty, let url = URLReference(request) else { return }
        for value in values { store(setCookie: value, from: url) }
    }

    /// Stores one `Set-Cookie` value received from `url` (absolute). Returns whether it was accepted.
    @discardableResult
    public func store(setCookie value: String, from url: String) -> Bool {
        guard let url = URLReference(absolute: url) else { return false }
        return store(setCookie: value, from: url)
    }

    @discardableResult
    func store(setCookie value: String, from url: URLReference) -> Bool {
        guard let parsed = SetCookie(value), let (host, _) = try? HTTPClient.splitAuthority(url.authority) else { return false }
        guard parsed.name.utf8.count + parsed.value.utf8.count <= limits.maximumCookieSize else { return false }
        let requestHost = host.lowercased()
        let secureOrigin = url.scheme == "https" || Self.isLoopback(requestHost)
        let now = clock()
        var domain = requestHost
        var hostOnly = true
        if let attribute = parsed.domain {
            if !attribute.contains(".") {
                // A public suffix (a single label): only from that very host, and then host-only.
                guard attribute == requestHost else { return false }
            } else {
                guard Self.domainMatches(requestHost, attribute) else { return false }
                domain = attribute
                hostOnly = false
            }
        }
        if parsed.isSecure && !secureOrigin { return false }
        if parsed.name.hasPrefix("__Secure-") && !(parsed.isSecure && secureOrigin) { return false }
        if parsed.name.hasPrefix("__Host-") && !(parsed.isSecure && secureOrigin && hostOnly && parsed.path == "/") {
            return false
        }
        var expires = parsed.expires
        if let maxAge = parsed.maxAge {
            expires = maxAge <= 0 ? Int64.min : now.addingReportingOverflow(maxAge).partialValue
        }
        let cookie = Cookie(name: parsed.name, value: parsed.value, domain: domain, isHostOnly: hostOnly,
                            path: parsed.path ?? Self.defaultPath(url.pathAndQuery), expires: expires,
                            isSecure: parsed.isSecure, isHTTPOnly: parsed.isHTTPOnly, sameSite: parsed.sameSite)
        insert(cookie)
        return true
    }

    /// Adds (or replaces, or with an expiry in the past removes) a cookie directly.
    public func insert(_ cookie: Cookie) {
        let now = clock()
        storage.withLock { storage in
            storage.sequence += 1
            let sequence = storage.sequence
            var entries = storage.byDomain[cookie.domain] ?? []
            var created = sequence
            if let index = entries.firstIndex(where: {
                $0.cookie.name == cookie.name && $0.cookie.path == cookie.path && $0.cookie.isHostOnly == cookie.isHostOnly
            }) {
                created = entries[index].created
                entries.remove(at: index)
                storage.count -= 1
            }
            if !cookie.isExpired(at: now) {
                entries.append(Entry(cookie: cookie, created: created, updated: sequence))
                storage.count += 1
            }
            entries.removeAll { entry in
                guard entry.cookie.isExpired(at: now) else { return false }
                storage.count -= 1
                return true
            }
            if entries.count > limits.maximumCookiesPerDomain {
                entries.sort { $0.updated < $1.updated }
                let excess = entries.count - limits.maximumCookiesPerDomain
                entries.removeFirst(excess)
                storage.count -= excess
            }
            storage.byDomain[cookie.domain] = entries.isEmpty ? nil : entries
            if storage.count > limits.maximumCookies { Self.evictOldest(&storage, keeping: limits.maximumCookies) }
        }
    }

    private static func evictOldest(_ storage: inout Storage, keeping maximum: Int) {
        var all = storage.byDomain.flatMap { $0.value.map { ($0.cookie.domain, $0.updated) } }
        all.sort { $0.1 < $1.1 }
        for (domain, updated) in all.prefix(storage.count - maximum) {
            storage.byDomain[domain]?.removeAll { $0.updated == updated }
            if storage.byDomain[domain]?.isEmpty == true { storage.byDomain[domain] = nil }
            storage.count -= 1
        }
    }

    // MARK: - Sending

    /// The cookies to send to `url` (absolute), in the order RFC 6265 §5.4 sends them.
    public func cookies(for url: String) -> [Cookie] {
        guard let url = URLReference(absolute: url) else { return [] }
        return cookies(for: url)
    }

    func cookies(for url: URLReference) -> [Cookie] {
        guard let (authorityHost, _) = try? HTTPClient.splitAuthority(url.authority) else { return [] }
        let host = authorityHost.lowercased()
        let secure = url.scheme == "https" || Self.isLoopback(host)
        let path = Self.path(of: url.pathAndQuery)
        let now = clock()
        var matches: [Entry] = []
        storage.withLock { storage in
            for domain in Self.candidateDomains(of: host) {
                guard let entries = storage.byDomain[domain] else { continue }
                for entry in entries {
                    let cookie = entry.cookie
                    guard !cookie.isExpired(at: now), !cookie.isSecure || secure,
                          cookie.isHostOnly ? host == domain : true, Self.pathMatches(path, cookie.path) else { continue }
                    matches.append(entry)
                }
            }
        }
        matches.sort { $0.cookie.path.utf8.count != $1.cookie.path.utf8.count
            ? $0.cookie.path.utf8.count > $1.cookie.path.utf8.count : $0.created < $1.created }
        return matches.map(\.cookie)
    }

    /// The `Cookie` field value for `request`, or nil when no cookie applies.
    public func cookieHeader(for request: HTTPRequest) -> String? {
        guard let url = URLReference(request) else { return nil }
        let cookies = cookies(for: url)
        guard !cookies.isEmpty else { return nil }
        return cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    /// Adds the jar's cookies to `request` (after any `Cookie` value the caller set).
    func addCookies(to request: inout HTTPRequest) {
        guard let header = cookieHeader(for: request) else { return }
        if let existing = request.headerFields[.cookie], !existing.isEmpty {
            request.headerFields[.cookie] = existing + "; " + header
        } else {
            request.headerFields[.cookie] = header
        }
    }

    // MARK: - Inspecting

    /// Every cookie not yet expired, domains sorted.
    public var allCookies: [Cookie] {
        let now = clock()
        return storage.withLock { storage in
            storage.byDomain.keys.sorted().flatMap { domain in
                storage.byDomain[domain]!.sorted { $0.created < $1.created }.map(\.cookie).filter { !$0.isExpired(at: now) }
            }
        }
    }

    /// Forgets every cookie.
    public func removeAll() {
        storage.withLock { $0 = Storage() }
    }

    /// Forgets session cookies (those without an expiry), as when a browser restarts.
    public func removeSessionCookies() {
        storage.withLock { storage in
            for (domain, entries) in storage.byDomain {
                let kept = entries.filter { $0.cookie.expires != nil }
                storage.count -= entries.count - kept.count
                storage.byDomain[domain] = kept.isEmpty ? nil : kept
            }
        }
    }

    // MARK: - Matching (RFC 6265 §5.1.3, §5.1.4)

    /// Whether `host` domain-matches `domain`: equal, or a subdomain of it when `host` is a name, not an IP.
    static func domainMatches(_ host: String, _ domain: String) -> Bool {
        if host == domain { return true }
        guard host.hasSuffix("." + domain), !isIPAddress(host) else { return false }
        return true
    }

    /// `host` and its parent domains (`a.b.c` → `a.b.c`, `b.c`, `c`); an IP address only as itself.
    static func candidateDomains(of host: String) -> [String] {
        if isIPAddress(host) { return [host] }
        var result = [host]
        var rest = Substring(host)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if !rest.isEmpty { result.append(String(rest)) }
        }
        return result
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) })
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("127.")
    }

    /// Whether a request path matches a cookie path.
    static func pathMatches(_ requestPath: String, _ cookiePath: String) -> Bool {
        guard requestPath.hasPrefix(cookiePath) else { return false }
        if requestPath.utf8.count == cookiePath.utf8.count || cookiePath.hasSuffix("/") { return true }
        return requestPath.utf8.dropFirst(cookiePath.utf8.count).first == UInt8(ascii: "/")
    }

    /// The path part of a request target.
    static func path(of pathAndQuery: String) -> String {
        let path = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path.hasPrefix("/") ? String(path) : "/"
    }

    /// The default cookie path of a request (its path up to, not including, the last `/`).
    static func defaultPath(_ pathAndQuery: String) -> String {
        let path = Self.path(of: pathAndQuery)
        guard let last = path.lastIndex(of: "/"), last != path.startIndex else { return "/" }
        return String(path[..<last])
    }
}
