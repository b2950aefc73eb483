import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4, IPv6 or Unix-domain socket address.
public enum SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address and port.
    case ipv4(IPv4)
    /// An IPv6 address and port.
    case ipv6(IPv6)
    /// A Unix-domain socket path.
    case unix(path: String)

    /// An IPv4 address as its 4 bytes plus a port.
    public struct IPv4: Hashable, Sendable {
        /// The address bytes in network order.
        public var bytes: (UInt8, UInt8, UInt8, UInt8)
        /// The port.
        public var port: UInt16

        public static func == (lhs: IPv4, rhs: IPv4) -> Bool {
            lhs.bytes == rhs.bytes && lhs.port == rhs.port
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(bytes.0); hasher.combine(bytes.1); hasher.combine(bytes.2); hasher.combine(bytes.3)
            hasher.combine(port)
        }
    }

    /// An IPv6 address as its 16 bytes plus a port and scope (interface) id.
    public struct IPv6: Hashable, Sendable {
        /// The address bytes in network order.
        public var bytes: [UInt8]
        /// The port.
        public var port: UInt16
        /// The scope id for link-local addresses (0 otherwise).
        public var scopeID: UInt32
    }

    /// Parses a numeric IPv4 or IPv6 address (brackets around IPv6 allowed) with a port.
    public init(ipAddress: String, port: Int) throws(ReactorError) {
        guard (0...65535).contains(port) else {
            throw ReactorError(.invalidAddress, context: "port \(port) out of range")
        }
        var host = ipAddress
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let raw = v4.s_addr.bigEndian
            self = .ipv4(IPv4(bytes: (UInt8(raw >> 24), UInt8(raw >> 16 & 0xff), UInt8(raw >> 8 & 0xff), UInt8(raw & 0xff)),
                              port: UInt16(port)))
            return
        }
        var scope: UInt32 = 0
        if let percent = host.firstIndex(of: "%") {
            scope = if_nametoindex(String(host[host.index(after: percent)...]))
            if scope == 0, let numeric = UInt32(host[host.index(after: percent)...]) { scope = numeric }
            host = String(host[..<percent])
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            self = .ipv6(IPv6(bytes: bytes, port: UInt16(port), scopeID: scope))
            return
        }
        throw ReactorError(.invalidAddress, context: "not a numeric IP address: \(ipAddress)")
    }

    /// Whether `host` is a numeric IPv4 or IPv6 literal (no resolution needed).
    public static func isIPLiteral(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// The port, or nil for Unix-domain addresses.
    public var port: Int? {
        switch self {
        case .ipv4(let address): Int(address.port)
        case .ipv6(let address): Int(address.port)
        case .unix: nil
        }
    }

    /// The same address with another port (Unix-domain addresses are returned unchanged).
    public func withPort(_ port: Int) -> SocketAddress {
        switch self {
        case .ipv4(var address): address.port = UInt16(clamping: port); return .ipv4(address)
        case .ipv6(var address): address.port = UInt16(clamping: port); return .ipv6(address)
        case .unix: return self
        }
    }

    /// The numeric host part (`127.0.0.1`, `::1`) or the socket path.
    public var host: String {
        switch self {
        case .ipv4(let address):
            return "\(address.bytes.0).\(address.bytes.1).\(address.bytes.2).\(address.bytes.3)"
        case .ipv6(let address):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address.bytes) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case .unix(let path):
            return path
        }
    }

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool { if case .ipv6 = self { true } else { false } }

    /// `127.0.0.1:80`, `[::1]:443` or `unix:/path`.
    public var description: String {
        switch self {
        case .ipv4(let address): "\(host):\(address.port)"
        case .ipv6(let address): "[\(host)]:\(address.port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    var family: Int32 {
        switch self {
        case .ipv4: AF_INET
        case .ipv6: AF_INET6
        case .unix: AF_UNIX
        }
    }

    /// Calls `body` with this address as a `sockaddr` pointer and length.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(ReactorError) -> R) throws(ReactorError) -> R {
        var storage = sockaddr_storage()
        let length: socklen_t
        switch self {
        case .ipv4(let address):
            var raw = sockaddr_in()
            raw.sin_family = sa_family_t(AF_INET)
            raw.sin_port = address.port.bigEndian
            raw.sin_addr.s_addr = (UInt32(address.bytes.0) << 24 | UInt32(address.bytes.1) << 16
                | UInt32(address.bytes.2) << 8 | UInt32(address.bytes.3)).bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6(let address):
            var raw = sockaddr_in6()
            raw.sin6_family = sa_family_t(AF_INET6)
            raw.sin6_port = address.port.bigEndian
            raw.sin6_scope_id = address.scopeID
            withUnsafeMutableBytes(of: &raw.sin6_addr) { $0.copyBytes(from: address.bytes) }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        case .unix(let path):
            var raw = sockaddr_un()
            raw.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: raw.sun_path)
            guard bytes.count < capacity else {
                throw ReactorError(.invalidAddress, context: "unix socket path longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &raw.sun_path) { $0.copyBytes(from: bytes) }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: raw, as: sockaddr_un.self) }
            length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        }
        return try withUnsafePointer(to: &storage) { pointer throws(ReactorError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(ReactorError) in
                try body(address, length)
            }
        }
    }

    /// Converts a `sockaddr` filled in by the system (getsockname, accept, getaddrinfo).
    init?(_ address: UnsafePointer<sockaddr>, length: socklen_t) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let raw = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in.self)
            let value = UInt32(bigEndian: raw.sin_addr.s_addr)
            self = .ipv4(IPv4(bytes: (UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff),
                                      UInt8(value & 0xff)),
                              port: UInt16(bigEndian: raw.sin_port)))
        case AF_INET6:
            let raw = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_in6.self)
            self = .ipv6(IPv6(bytes: withUnsafeBytes(of: raw.sin6_addr) { Array($0) },
                              port: UInt16(bigEndian: raw.sin6_port), scopeID: raw.sin6_scope_id))
        case AF_UNIX:
            let raw = UnsafeRawPointer(address).loadUnaligned(as: sockaddr_un.self)
            let path = withUnsafeBytes(of: raw.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            self = .unix(path: path)
        default:
            return nil
        }
    }
}
