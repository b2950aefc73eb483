/// The certificate authorities a peer's chain must lead to.
public enum TLSTrustRoots: Sendable, Hashable {
    /// The system trust store: `/etc/ssl/certs` (hashed directory, loaded lazily), or the file and
    /// directory named by the `SSL_CERT_FILE` / `SSL_CERT_DIR` environment variables when set.
    case system
    /// Only these CA certificates (a PEM bundle); the system store is not consulted.
    case custom(TLSPEMSource)
}
