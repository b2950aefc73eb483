import CourierReactor

/// Where requests go: scheme, host and port (or a Unix socket path). Pools are kept per origin (and TLS
/// configuration).
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: Scheme
    /// The host name or IP literal (without brackets), as used for connecting, SNI and certificate checks.
    public var host: String
    /// The port.
    public var port: Int
    /// A Unix-domain socket to connect to instead of resolving `host` (the host still names the authority).
    public var unixSocketPath: String?
    /// The forward proxy connections go through (nil: direct).
    public var proxy: ProxyEndpoint?

    /// The transport security of an origin.
    public enum Scheme: String, Hashable, Sendable {
        /// Cleartext.
        case http
        /// TLS.
        case https

        /// The port used when a URL names none.
        public var defaultPort: Int { self == .https ? 443 : 80 }
    }

    /// Creates an origin.
    public init(scheme: Scheme, host: String, port: Int? = nil, unixSocketPath: String? = nil) {
        self.scheme = scheme
        var host = host
        if host.utf8.first == UInt8(ascii: "["), host.utf8.last == UInt8(ascii: "]") {
            host = String(host.dropFirst().dropLast())
        }
        self.host = host
        self.port = port ?? scheme.defaultPort
        self.unixSocketPath = unixSocketPath
    }

    /// The authority as sent in `Host` / `:authority` (brackets around IPv6, port only when not the default).
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? hostPart : "\(hostPart):\(port)"
    }

    public var description: String {
        if let unixSocketPath { return "\(scheme.rawValue)+unix://\(unixSocketPath)" }
        if let proxy { return "\(scheme.rawValue)://\(authority) via proxy \(proxy)" }
        return "\(scheme.rawValue)://\(authority)"
    }
}
