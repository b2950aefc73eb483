import COpenSSL
import CCourierOpenSSLShims

/// A client configuration compiled into one OpenSSL `SSL_CTX`, shared by every connection that uses it.
///
/// Building a context reads files and parses certificates; creating an engine from it is cheap. Keep one
/// per configuration (the pool does) so connections share the trust store, the loaded identity and the
/// session cache.
///
/// `@unchecked Sendable`: the `SSL_CTX` is configured only inside `init` and never changed afterwards;
/// OpenSSL supports creating connections from one `SSL_CTX` on many threads at once (its shared parts,
/// such as the certificate store's lookups, take their own locks).
public final class TLSClientContext: @unchecked Sendable {
    /// The configuration this context was built from.
    public let configuration: TLSClientConfiguration
    /// Where sessions for resumption are kept; nil when resumption is off.
    public let sessionCache: TLSSessionCache?
    let context: OpaquePointer
    let identity: UInt64

    /// Compiles `configuration`. Sessions go to `sessionCache` when given (to share one cache between
    /// contexts), otherwise to a cache of this context's own; none when resumption is off.
    public init(configuration: TLSClientConfiguration, sessionCache: TLSSessionCache? = nil) throws(TLSError) {
        guard configuration.maximumBufferedCiphertext >= 16 * 1024 + 512 else {
            throw TLSError(code: .invalidConfiguration,
                           detail: "maximumBufferedCiphertext must hold at least one full TLS record (16.5 KiB)")
        }
        let context = try OpenSSLContextBuilder.makeContext(
            server: false, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
        do throws(TLSError) {
            // Without verification the system store is never consulted: loading it (a CA bundle named by
            // SSL_CERT_FILE is parsed whole, ~40 ms) would only delay the first request.
            if case .system = configuration.trustRoots, configuration.isInsecure {} else {
                try OpenSSLContextBuilder.trust(configuration.trustRoots, on: context)
            }
            courier_SSL_CTX_set_verify(context, configuration.isInsecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER)
            if let pair = configuration.clientCertificate {
                try OpenSSLContextBuilder.useIdentity(pair, on: context, what: "client")
            }
            let alpn = OpenSSLContextBuilder.alpnWire(try OpenSSLContextBuilder.alpnNames(configuration.applicationProtocols))
            // SSL_CTX_set_alpn_protos returns 0 on success.
            if !alpn.isEmpty, SSL_CTX_set_alpn_protos(context, alpn, UInt32(alpn.count)) != 0 {
                throw TLSError(code: .internal, detail: "cannot set the ALPN list",
                               openSSLErrors: OpenSSLErrorQueue.drain().texts)
            }
            if configuration.sessionResumption {
                _ = courier_SSL_CTX_set_session_cache_mode(
                    context, courier_SSL_SESS_CACHE_CLIENT() | courier_SSL_SESS_CACHE_NO_INTERNAL())
                SSL_CTX_sess_set_new_cb(context, TLSEngine.newSessionCallback)
            } else {
                SSL_CTX_set_options(context, courier_SSL_OP_NO_TICKET())
                _ = courier_SSL_CTX_set_session_cache_mode(context, 0)
            }
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.configuration = configuration
        self.context = context
        self.identity = OpenSSLContextBuilder.makeIdentity()
        self.sessionCache = configuration.sessionResumption ? (sessionCache ?? TLSSessionCache()) : nil
    }

    deinit { SSL_CTX_free(context) }

    /// The certificates in the context's trust store (for tests: what loading the roots put there).
    var trustStoreCount: Int { Int(courier_X509_STORE_object_count(SSL_CTX_get_cert_store(context))) }

    /// Whether certificates go unchecked (`.insecureNoVerification`).
    public var isInsecure: Bool { configuration.isInsecure }

    /// A warning the client layer must log when it starts using this context, or nil when the
    /// configuration is safe. (This module has no logger; the layer that owns one reports it.)
    public var securityWarning: String? { Self.securityWarning(for: configuration) }

    /// The warning for a context compiled from `configuration` (see `securityWarning`), without compiling it.
    public static func securityWarning(for configuration: TLSClientConfiguration) -> String? {
        guard configuration.isInsecure else { return nil }
        return "TLS certificate verification is disabled (insecureNoVerification): servers are not "
            + "authenticated and anyone on the network path can read and modify the traffic"
    }
}
