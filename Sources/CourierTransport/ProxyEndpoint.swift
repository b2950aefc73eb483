/// An HTTP/1.1 forward proxy that connections to an origin go through: a `CONNECT` tunnel for `https`
/// origins (TLS, and HTTP/2 when ALPN agrees, run inside it), requests in absolute form for `http` origins.
/// Part of the origin's identity, so connections through a proxy and direct ones are pooled apart.
public struct ProxyEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The proxy's host name or IP literal (without brackets).
    public var host: String
    /// The proxy's port.
    public var port: Int
    /// The `Proxy-Authorization` value sent to the proxy (`Basic …`), or nil.
    public var authorization: String?

    /// Creates an endpoint.
    public init(host: String, port: Int, authorization: String? = nil) {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host
        self.port = port
        self.authorization = authorization
    }

    /// `host:port`, with brackets around IPv6 (credentials are never shown).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
