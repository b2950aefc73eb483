/// How a client speaks TLS: whom it trusts, what it offers, and what it checks. A value type, compiled
/// once into a `TLSClientContext` that every connection with this configuration shares.
///
/// The defaults are safe: the system trust store, hostname verification, TLS 1.2 minimum, ALPN
/// `h2` then `http/1.1`, session resumption on. Turning verification off takes the spelled-out
/// `.insecureNoVerification`, and the compiled context then carries a warning for the client to log.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// The CAs the server's chain must lead to. Default: `.system`.
    public var trustRoots: TLSTrustRoots = .system
    /// Whether the server's certificate is checked. Default: `.full` (chain, validity and host name).
    public var verification: TLSCertificateVerification = .full
    /// The certificate and key to present when the server asks for one (mutual TLS). Default: none.
    public var clientCertificate: TLSCertificateKeyPair?
    /// The oldest version offered. Default: TLS 1.2.
    public var minimumVersion: TLSVersion = .tls12
    /// The newest version offered. Default: TLS 1.3.
    public var maximumVersion: TLSVersion = .tls13
    /// Application protocols offered with ALPN, most preferred first. Default: `h2`, `http/1.1`.
    /// Empty means ALPN is not sent.
    public var applicationProtocols: [String] = ["h2", "http/1.1"]
    /// When not empty, the handshake fails with `.pinningFailed` unless a certificate in the server's
    /// chain has one of these public keys. Default: no pinning.
    public var pinnedPublicKeys: [TLSPublicKeyPin] = []
    /// Whether sessions (TLS 1.3 tickets, TLS 1.2 session ids and tickets) are cached per origin and offered
    /// again, saving a full handshake. Default: on.
    public var sessionResumption: Bool = true
    /// How long the transport lets a handshake run before failing with `.handshakeTimeout`
    /// (the engine has no clock; the driver enforces this). Default: 10 s.
    public var handshakeTimeout: Duration = .seconds(10)
    /// The most ciphertext an engine buffers for sending before `writePlaintext` stops accepting
    /// plaintext, so a large write cannot balloon memory. Default: 256 KiB.
    public var maximumBufferedCiphertext: Int = 256 * 1024

    /// The defaults described above.
    public init() {}

    /// Whether the server's identity goes unchecked.
    public var isInsecure: Bool { verification == .insecureNoVerification }
}

/// Whether and how the peer's certificate is checked.
public enum TLSCertificateVerification: Sendable, Hashable {
    /// Chain to a trusted root, validity dates, and the host name or IP address we connected to.
    case full
    /// Nothing is checked: any certificate, any name, expired or self-signed, is accepted. Anyone on the
    /// path can read and change the traffic. For local experiments only; the context reports a warning.
    case insecureNoVerification
}
