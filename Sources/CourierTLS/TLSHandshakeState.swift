/// Where a handshake stands after `TLSEngine.handshake()`.
///
/// There is no "want write": the engine writes into memory, which never blocks. After every engine
/// call the driver sends whatever `outboundCiphertext(into:)` yields, then waits for the socket.
public enum TLSHandshakeState: Sendable, Hashable {
    /// The handshake is done; application data can flow.
    case complete
    /// More ciphertext from the peer is needed: feed it, then call `handshake()` again.
    case wantRead
}
