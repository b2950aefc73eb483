// The HTTP-version of a message (RFC 9112 §2.3).

/// An HTTP/1.x version as it appeared on the start line.
public struct HTTP1Version: Hashable, Sendable, CustomStringConvertible {
    private var majorDigit: UInt8
    private var minorDigit: UInt8

    /// The major version: 1 (or 0 for the historical `HTTP/0.9` status line some servers send).
    public var major: Int {
        get { Int(majorDigit) }
        set { majorDigit = UInt8(newValue) }
    }

    /// The minor version, a single digit.
    public var minor: Int {
        get { Int(minorDigit) }
        set { minorDigit = UInt8(newValue) }
    }

    /// Creates a version (each part 0...9, as on the wire).
    public init(major: Int, minor: Int) {
        precondition((0...9).contains(major) && (0...9).contains(minor), "HTTP versions are single digits")
        majorDigit = UInt8(major)
        minorDigit = UInt8(minor)
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
