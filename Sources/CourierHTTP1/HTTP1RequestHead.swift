import CourierCore

/// The head of a received request (server role): request line, fields, framing and the flags a server
/// acts on before reading the body.
public struct HTTP1RequestHead: Sendable, CustomStringConvertible {
    /// The version on the request line.
    public var version: HTTP1Version
    /// The fields, in received order; their storage also holds the request line.
    public var fields: HTTP1Fields
    /// How the body is delimited: `.none`, `.contentLength` or `.chunked` (CONNECT is always `.none`).
    public var framing: HTTP1Framing
    /// Whether the client allows another request on this connection (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// The client sent `Expect: 100-continue` and waits for a 100 (or a final status) before the body.
    public var expectsContinue: Bool
    /// The request asks to leave HTTP/1.1: CONNECT, or `Connection: upgrade` with an `Upgrade` field.
    /// The parser pauses after this request's end until the server accepts or declines.
    public var isUpgradeRequest: Bool
    /// The declared Content-Length, if any.
    public var contentLength: Int?
    let methodEnd: Int
    let targetStart: Int
    let targetEnd: Int

    init(_ parser: MessageParser) {
        let startLine = parser.scanner.startLine
        let facts = parser.scanner.facts
        version = startLine.version
        fields = HTTP1Fields(storage: parser.completedHead.storage, entries: parser.scanner.entries)
        framing = parser.completedHead.framing
        keepAlive = parser.completedHead.keepAlive
        expectsContinue = facts.expectsContinue
        contentLength = facts.contentLength
        methodEnd = startLine.methodEnd
        targetStart = startLine.targetStart
        targetEnd = startLine.targetEnd
        isUpgradeRequest = parser.isConnectRequest || (facts.connectionUpgrade && facts.hasUpgrade)
    }

    /// The method (case-sensitive, RFC 9110 §9.1).
    public var method: String { fields.storage.getString(at: 0, length: methodEnd)! }
    /// The method's bytes.
    public var methodBytes: ByteBufferView { fields.storage.getSlice(at: 0, length: methodEnd)!.readableBytesView }
    /// The request target as received (origin, absolute, authority or asterisk form).
    public var target: String { fields.storage.getString(at: targetStart, length: targetEnd - targetStart)! }
    /// The request target's bytes.
    public var targetBytes: ByteBufferView {
        fields.storage.getSlice(at: targetStart, length: targetEnd - targetStart)!.readableBytesView
    }

    public var description: String { "\(method) \(target) \(version) \(framing) keepAlive=\(keepAlive)" }
}
