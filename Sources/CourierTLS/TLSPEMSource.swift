/// Where PEM text comes from: a file read when the context is built, or the text itself.
///
/// Used for certificate chains, private keys and CA bundles. In-memory PEM lets tests and
/// applications that fetch secrets at run time avoid writing key material to disk.
public enum TLSPEMSource: Sendable, Hashable {
    /// A PEM file on disk, read once when the configuration is compiled into a context.
    case file(String)
    /// PEM text held in memory.
    case pem(String)
}
