import COpenSSL

/// A TLS protocol version Courier will speak. Older versions (SSL 3, TLS 1.0, 1.1) are not offered at all.
public enum TLSVersion: UInt16, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// TLS 1.2 (RFC 5246), the default minimum.
    case tls12 = 0x0303
    /// TLS 1.3 (RFC 8446).
    case tls13 = 0x0304

    /// OpenSSL's constant for this version.
    var openSSLValue: Int32 { Int32(rawValue) }

    /// The version OpenSSL reports for a connection, or nil for anything older than TLS 1.2.
    init?(openSSLValue: Int32) {
        guard let raw = UInt16(exactly: openSSLValue), let version = TLSVersion(rawValue: raw) else { return nil }
        self = version
    }

    /// Older versions order first.
    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `TLSv1.2` or `TLSv1.3`, as OpenSSL and nginx spell them.
    public var description: String { self == .tls12 ? "TLSv1.2" : "TLSv1.3" }
}
