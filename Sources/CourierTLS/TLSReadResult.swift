/// What `TLSEngine.readPlaintext(into:maximumBytes:)` produced.
public enum TLSReadResult: Sendable, Hashable {
    /// This many plaintext bytes were appended to the buffer.
    case read(Int)
    /// No plaintext is available until more ciphertext is fed.
    case wantRead
    /// The peer's side of the session has ended; nothing more will be read.
    case closed(TLSCloseReason)
}

/// How the peer ended the session.
public enum TLSCloseReason: Sendable, Hashable {
    /// The peer sent close_notify: everything it sent has arrived. Finish writing if needed, call
    /// `close()` to answer with our close_notify, send the outbound ciphertext, then close the socket.
    case closeNotify
    /// The stream ended without close_notify. The data read so far may be incomplete; the protocol
    /// layer decides, from its framing (Content-Length, chunked terminator, HTTP/2 END_STREAM), whether
    /// this is a `.truncated` error or a harmless close.
    case truncated
}
