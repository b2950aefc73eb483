import CourierCore

/// The head of a received response: status line, fields, and the framing and persistence decided
/// from them.
public struct HTTP1ResponseHead: Sendable, CustomStringConvertible {
    /// The version on the status line.
    public var version: HTTP1Version
    /// The status code (100...999; RFC 9110 says to treat codes above 599 like 5xx).
    public var status: Int
    /// The fields, in received order; their storage also holds the status line.
    public var fields: HTTP1Fields
    /// How the body is delimited (already resolved for HEAD, 204, 304, 1xx, 101 and CONNECT).
    public var framing: HTTP1Framing
    /// Whether the connection can carry another request after this response (RFC 9112 §9.3): false
    /// for `Connection: close`, HTTP/1.0 without keep-alive, and bodies delimited by the close.
    public var keepAlive: Bool
    /// The declared Content-Length, if any, even when the response has no body (HEAD, 304).
    public var contentLength: Int?
    let reasonStart: Int
    let reasonEnd: Int

    init(_ head: MessageParser.Head) {
        version = head.startLine.version
        status = head.startLine.status
        fields = head.fields
        framing = head.framing
        keepAlive = head.keepAlive
        contentLength = head.facts.contentLength
        reasonStart = head.startLine.reasonStart
        reasonEnd = head.startLine.reasonEnd
    }

    /// The reason phrase as received (RFC 9110 says clients should ignore it; kept for logs).
    public var reason: String {
        fields.storage.getString(at: reasonStart, length: reasonEnd - reasonStart)!
    }

    /// The reason phrase's bytes.
    public var reasonBytes: ByteBufferView {
        fields.storage.getSlice(at: reasonStart, length: reasonEnd - reasonStart)!.readableBytesView
    }

    /// Whether this is an interim 1xx response (other than 101) that precedes the final one.
    public var isInformational: Bool { status >= 100 && status < 200 && status != 101 }

    public var description: String { "\(version) \(status) \(reason) \(framing) keepAlive=\(keepAlive)" }
}
