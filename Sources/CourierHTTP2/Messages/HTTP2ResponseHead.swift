/// The head of a response as a client receives it: the status and the regular fields, validated
/// (RFC 9113 §8.3.2).
public struct HTTP2ResponseHead: Sendable, CustomStringConvertible {
    /// The status code, 100 to 999 (101 is never delivered: HTTP/2 does not support it, §8.6).
    public let status: Int
    /// The regular fields.
    public let fields: HTTP2HeaderFields

    /// Creates a response head.
    public init(status: Int, fields: HTTP2HeaderFields) {
        self.status = status
        self.fields = fields
    }

    /// Whether this is an interim (1xx) response.
    public var isInformational: Bool { status < 200 }

    public var description: String { "\(status) \(fields)" }
}
