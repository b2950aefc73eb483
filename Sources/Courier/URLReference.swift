/// A URL split into the parts an HTTP request needs, and the resolution of a reference (a `Location`, a
/// `Link` target) against a base URL as RFC 3986 §5.2 defines it: relative paths merged, dot segments
/// removed, the fragment dropped. Bytes that may not appear in a request target (spaces, controls,
/// non-ASCII) are percent-encoded, as browsers and curl do with sloppy `Location` values.
struct URLReference: Hashable, Sendable {
    /// Lowercased scheme (`http`, `https`, or another a caller may refuse).
    var scheme: String
    /// Host and optional port, as in the URL (userinfo removed).
    var authority: String
    /// Path and query, never empty (`/` at least).
    var pathAndQuery: String

    /// The URL as text.
    var string: String { "\(scheme)://\(authority)\(pathAndQuery)" }

    /// The URL of a request (nil without scheme or authority).
    init?(_ request: HTTPRequest) {
        guard let scheme = request.scheme, let authority = request.authority else { return nil }
        self.scheme = scheme.lowercased()
        self.authority = authority
        pathAndQuery = request.path ?? "/"
    }

    init(scheme: String, authority: String, pathAndQuery: String) {
        self.scheme = scheme
        self.authority = authority
        self.pathAndQuery = pathAndQuery
    }

    /// Parses an absolute URL.
    init?(absolute text: String) {
        guard let resolved = URLReference.resolve(text, against: nil) else { return nil }
        self = resolved
    }

    /// `reference` resolved against `base` (RFC 3986 §5.2.2); nil if it is not a usable URL (no scheme with
    /// no base, no host, a bad port).
    static func resolve(_ reference: String, against base: URLReference?) -> URLReference? {
        let text = percentEncodingUnsafeBytes(String(reference.trimmingSpacesAndControls))
        var rest = Substring(text)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var scheme: String?
        if let colon = rest.firstIndex(of: ":"), let first = rest.first, first.isASCII, first.isLetter,
           rest[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) {
            scheme = rest[..<colon].lowercased()
            rest = rest[rest.index(after: colon)...]
        }
        var authority: String?
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            var hostPart = rest[..<end]
            if let at = hostPart.lastIndex(of: "@") { hostPart = hostPart[hostPart.index(after: at)...] }
            authority = String(hostPart)
            rest = rest[end...]
        }
        var path = rest
        var query: Substring?
        if let question = rest.firstIndex(of: "?") {
            path = rest[..<question]
            query = rest[rest.index(after: question)...]
        }
        let result: URLReference
        if let scheme {
            guard let authority, !authority.isEmpty else { return nil }
            result = URLReference(scheme: scheme, authority: authority,
                                  pathAndQuery: join(removeDotSegments(String(path)), query))
        } else if let base {
            if let authority {
                guard !authority.isEmpty else { return nil }
                result = URLReference(scheme: base.scheme, authority: authority,
                                      pathAndQuery: join(removeDotSegments(String(path)), query))
            } else if path.isEmpty {
                let (basePath, baseQuery) = base.splitPathAndQuery
                result = URLReference(scheme: base.scheme, authority: base.authority,
                                      pathAndQuery: join(basePath, query ?? baseQuery))
            } else if path.hasPrefix("/") {
                result = URLReference(scheme: base.scheme, authority: base.authority,
                                      pathAndQuery: join(removeDotSegments(String(path)), query))
            } else {
                let basePath = base.splitPathAndQuery.path
                let directory = basePath.lastIndex(of: "/").map { basePath[...$0] } ?? "/"
                result = URLReference(scheme: base.scheme, authority: base.authority,
                                      pathAndQuery: join(removeDotSegments(String(directory) + path), query))
            }
        } else {
            return nil
        }
        guard result.hasValidAuthority else { return nil }
        return result
    }

    /// The origin's parts compared for "same origin": scheme, host (case-insensitive) and effective port.
    var originKey: (scheme: String, host: String, port: Int)? {
        guard let (host, port) = try? HTTPClient.splitAuthority(authority) else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        return (scheme, host.lowercased(), port ?? defaultPort)
    }

    /// Whether both URLs have the same origin (RFC 6454).
    func isSameOrigin(as other: URLReference) -> Bool {
        guard let mine = originKey, let theirs = other.originKey else { return false }
        return mine == theirs
    }

    private var hasValidAuthority: Bool { (try? HTTPClient.splitAuthority(authority)) != nil }

    private var splitPathAndQuery: (path: Substring, query: Substring?) {
        guard let question = pathAndQuery.firstIndex(of: "?") else { return (Substring(pathAndQuery), nil) }
        return (pathAndQuery[..<question], pathAndQuery[pathAndQuery.index(after: question)...])
    }

    private static func join(_ path: some StringProtocol, _ query: Substring?) -> String {
        let path = path.isEmpty ? "/" : String(path)
        guard let query else { return path }
        return path + "?" + query
    }

    /// RFC 3986 §5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        guard path.contains(".") else { return path }
        var input = Substring(path)
        var output: [Substring] = []
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input = input.dropFirst(3)
            } else if input.hasPrefix("./") {
                input = input.dropFirst(2)
            } else if input.hasPrefix("/./") {
                input = input.dropFirst(2)
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") {
                input = input.dropFirst(3)
                if !output.isEmpty { output.removeLast() }
            } else if input == "/.." {
                input = "/"
                if !output.isEmpty { output.removeLast() }
            } else if input == "." || input == ".." {
                input = ""
            } else {
                let start = input.startIndex
                let searchFrom = input.hasPrefix("/") ? input.index(after: start) : start
                let end = input[searchFrom...].firstIndex(of: "/") ?? input.endIndex
                output.append(input[start..<end])
                input = input[end...]
            }
        }
        return output.joined()
    }

    /// Percent-encodes bytes a request target cannot carry (controls, space, `"<>\^`{|}` and non-ASCII).
    private static func percentEncodingUnsafeBytes(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || Self.unsafe.contains($0) }) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            if byte <= 0x20 || byte >= 0x7F || Self.unsafe.contains(byte) {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let unsafe: Set<UInt8> = Set("\"<>\\^`{|}".utf8)
}

extension String {
    /// Without leading and trailing whitespace and control characters.
    var trimmingSpacesAndControls: Substring {
        var result = Substring(self)
        while let first = result.utf8.first, first <= 0x20 { result = result.dropFirst() }
        while let last = result.utf8.last, last <= 0x20 { result = result.dropLast() }
        return result
    }
}
