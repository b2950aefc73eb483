// The HTTP-version of a message (RFC 9112 §2.3).

/// An HTTP/1.x version as it appeared on the start line.
public struct HTTP1Version: Hashable, Sendable, CustomStringConvertible {
    /// The major version: 1 (or 0 for the historical `HTTP/0.9` status line some servers send).
    public var major: Int
    /// The minor version, a single digit.
    public var minor: Int

    /// Creates a version.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// HTTP/1.0.
    public static let http1_0 = HTTP1Version(major: 1, minor: 0)
    /// HTTP/1.1.
    public static let http1_1 = HTTP1Version(major: 1, minor: 1)

    /// Whether the message follows HTTP/1.1 rules (persistent by default, chunked allowed): true for
    /// 1.1 and for any higher 1.x, which RFC 9110 §2.5 says to treat as the highest minor we implement.
    public var isAtLeastHTTP11: Bool { major == 1 && minor >= 1 }

    public var description: String { "HTTP/\(major).\(minor)" }
}
