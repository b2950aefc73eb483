/// How a server speaks TLS: its identity, the versions and application protocols it accepts, and whether it
/// asks clients for certificates. Compiled once into a `TLSServerContext`.
public struct TLSServerConfiguration: Sendable, Hashable {
    /// The chain and key the server presents.
    public var certificate: TLSCertificateKeyPair
    /// The oldest version accepted. Default: TLS 1.2.
    public var minimumVersion: TLSVersion = .tls12
    /// The newest version accepted. Default: TLS 1.3.
    public var maximumVersion: TLSVersion = .tls13
    /// Application protocols the server speaks, in its order of preference: the first one the client
    /// also offers is selected. Default: `h2`, `http/1.1`. Empty means ALPN is ignored.
    public var applicationProtocols: [String] = ["h2", "http/1.1"]
    /// Whether a client offering ALPN with no protocol in common is refused with a
    /// `no_application_protocol` alert (RFC 7301 §3.2) instead of continuing without ALPN. Default: off.
    public var requireApplicationProtocolMatch: Bool = false
    /// Whether clients must present a certificate. Default: `.none`.
    public var clientAuthentication: TLSClientAuthentication = .none
    /// Whether sessions can be resumed (a server-side cache for TLS 1.2 ids, tickets for both). Default: on.
    public var sessionResumption: Bool = true
    /// The most ciphertext an engine buffers for sending before `writePlaintext` stops accepting
    /// plaintext. Default: 256 KiB.
    public var maximumBufferedCiphertext: Int = 256 * 1024

    /// A configuration presenting `certificate`, with the defaults above.
    public init(certificate: TLSCertificateKeyPair) {
        self.certificate = certificate
    }
}

/// Whether a server asks for client certificates (mutual TLS), and which CAs it trusts for them.
public enum TLSClientAuthentication: Sendable, Hashable {
    /// No client certificate is requested.
    case none
    /// A certificate is requested; a client without one is accepted, one with an untrusted one is not.
    case optional(trustRoots: TLSPEMSource)
    /// A certificate chaining to these CAs is required.
    case required(trustRoots: TLSPEMSource)
}
