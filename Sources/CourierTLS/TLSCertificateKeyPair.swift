/// A certificate chain (leaf first, then intermediates) and the private key of the leaf, both PEM:
/// the identity a server presents, or a client presents for mutual TLS.
public struct TLSCertificateKeyPair: Sendable, Hashable {
    /// The leaf certificate followed by any intermediates, as PEM `CERTIFICATE` blocks.
    public var certificateChain: TLSPEMSource
    /// The leaf's private key, as an unencrypted PEM private key (PKCS#8, RSA or EC).
    public var privateKey: TLSPEMSource

    /// Creates a pair from a chain and its key.
    public init(certificateChain: TLSPEMSource, privateKey: TLSPEMSource) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
