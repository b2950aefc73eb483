import Courier
import Tracing

/// The OpenTelemetry HTTP client semantic attributes of a request.
enum HTTPSpanAttributes {
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]

    static func request(_ head: HTTPRequest, redacting redacted: Set<String>) -> SpanAttributes {
        var attributes = SpanAttributes()
        let method = head.method.rawValue
        if knownMethods.contains(method) {
            attributes["http.request.method"] = method
        } else {
            attributes["http.request.method"] = "_OTHER"
            attributes["http.request.method_original"] = method
        }
        let scheme = head.scheme ?? "http"
        let authority = head.authority ?? ""
        let (host, port) = split(authority: authority, defaultPort: scheme == "https" ? 443 : 80)
        attributes["server.address"] = host
        attributes["server.port"] = port
        attributes["url.full"] = "\(scheme)://\(stripUserInfo(authority))\(redact(head.path ?? "/", redacted))"
        return attributes
    }

    /// Host and port of an authority (`host`, `host:port`, `[v6]:port`).
    static func split(authority: String, defaultPort: Int) -> (String, Int) {
        let hostPort = stripUserInfo(authority)
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            let host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let rest = hostPort[hostPort.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
        }
        if let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) {
            return (String(hostPort[..<colon]), port)
        }
        return (hostPort, defaultPort)
    }

    /// Credentials never go into a span.
    static func stripUserInfo(_ authority: String) -> String {
        guard let at = authority.lastIndex(of: "@") else { return authority }
        return String(authority[authority.index(after: at)...])
    }

    /// The path with the values of `redacted` query parameters replaced by `REDACTED`.
    static func redact(_ path: String, _ redacted: Set<String>) -> String {
        guard !redacted.isEmpty, let question = path.firstIndex(of: "?") else { return path }
        let query = path[path.index(after: question)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            let name = parameter.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return redacted.contains(name) && parameter.contains("=") ? name + "=REDACTED" : String(parameter)
        }
        return String(path[...question]) + parameters.joined(separator: "&")
    }
}
