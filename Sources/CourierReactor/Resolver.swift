/// Turns a host name into socket addresses. Implementations must be safe to call concurrently.
public protocol Resolver: Sendable {
    /// The addresses of `host` with `port` filled in, in the order they should be tried.
    func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress]
}

/// A resolver that answers from a fixed table, for tests (and for pinning names to addresses).
public struct StaticResolver: Resolver {
    /// Addresses per host name (ports are replaced by the requested port).
    public var table: [String: [SocketAddress]]

    /// Creates a resolver answering from `table`.
    public init(_ table: [String: [SocketAddress]]) { self.table = table }

    public func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        guard let addresses = table[host], !addresses.isEmpty else {
            throw ReactorError(.resolutionFailed, context: "\(host) is not in the static table")
        }
        return addresses.map { $0.withPort(port) }
    }
}
