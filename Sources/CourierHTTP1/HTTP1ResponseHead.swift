import CourierCore

/// The head of a received response: status line, fields, and the framing and persistence decided
/// from them.
public struct HTTP1ResponseHead: Sendable, CustomStringConvertible {
    // Stored properties are ordered to avoid padding: this value travels inside every parser event.

    /// The fields, in received order; their storage also holds the status line.
    public var fields: HTTP1Fields
    /// The status code (100...999; RFC 9110 says to treat codes above 599 like 5xx).
    public var status: Int
    /// The declared Content-Length, if any, even when the response has no body (HEAD, 304).
    public var contentLength: Int?
    /// How the body is delimited (already resolved for HEAD, 204, 304, 1xx, 101 and CONNECT).
    public var framing: HTTP1Framing
    /// Whether the connection can carry another request after this response (RFC 9112 §9.3): false
    /// for `Connection: close`, HTTP/1.0 without keep-alive, and bodies delimited by the close.
    public var keepAlive: Bool
    /// The version on the status line.
    public var version: HTTP1Version
    let reasonStart: UInt32
    let reasonEnd: UInt32

    init(_ parser: MessageParser) {
        let startLine = parser.scanner.startLine
        version = startLine.version
        status = startLine.status
        fields = HTTP1Fields(storage: parser.completedHead.storage, entries: parser.scanner.entries)
        framing = parser.completedHead.framing
        keepAlive = parser.completedHead.keepAlive
        contentLength = parser.scanner.facts.contentLength
        reasonStart = UInt32(truncatingIfNeeded: startLine.reasonStart)
        reasonEnd = UInt32(truncatingIfNeeded: startLine.reasonEnd)
    }

    /// The reason phrase as received (RFC 9110 says clients should ignore it; kept for logs).
    public var reason: String {
        fields.storage.getString(at: Int(reasonStart), length: Int(reasonEnd - reasonStart))!
    }

    /// The reason phrase's bytes.
    public var reasonBytes: ByteBufferView {
        fields.storage.getSlice(at: Int(reasonStart), length: Int(reasonEnd - reasonStart))!.readableBytesView
    }

    /// Whether this is an interim 1xx response (other than 101) that precedes the final one.
    public var isInformational: Bool { status >= 100 && status < 200 && status != 101 }

    public var description: String { "\(version) \(status) \(reason) \(framing) keepAlive=\(keepAlive)" }
}
