// How a message's body is delimited (RFC 9112 §6), on the receiving and on the sending side.

/// How the body of a received message is delimited, decided from its head by RFC 9112 §6.3.
public enum HTTP1Framing: Hashable, Sendable {
    /// No body: HEAD responses, 1xx, 204, 304, and requests without Content-Length or Transfer-Encoding.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// The body is chunked (the final transfer coding is `chunked`); the parser removes the chunking.
    case chunked
    /// The body runs until the server closes the connection (responses only).
    case untilClose
    /// After the head the connection carries another protocol: a 101 (Switching Protocols) response or
    /// a 2xx response to CONNECT. The parser stops; the bytes after the head belong to the new protocol.
    case tunnel
}

/// What the sender knows about a body it is about to send; the serializer picks the framing from it.
public enum HTTP1BodyLength: Hashable, Sendable {
    /// No body at all (GET without content, 204, …): no framing field is written.
    case none
    /// The body has exactly this many bytes: `Content-Length` is written.
    case known(Int)
    /// The length is not known up front (a stream): `Transfer-Encoding: chunked` is written.
    case unknown
}
