#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import COpenSSL
import CCourierOpenSSLShims

/// The steps shared by client and server contexts: a fresh `SSL_CTX` with Courier's fixed options,
/// version bounds, identities, trust stores and ALPN lists. Every failure is `.invalidConfiguration`.
enum OpenSSLContextBuilder {
    private static let nextIdentity = Atomic<UInt64>(1)

    /// A process-unique number naming a context, so cached sessions never cross configurations.
    static func makeIdentity() -> UInt64 { nextIdentity.add(1, ordering: .relaxed).oldValue }

    /// A new `SSL_CTX` with renegotiation and compression off and the version bounds set.
    ///
    /// An end of stream without close_notify is not made fatal (`SSL_OP_IGNORE_UNEXPECTED_EOF`): OpenSSL
    /// would otherwise send an alert to a peer that is gone and invalidate the session, losing resumption
    /// for every server that closes idle connections without close_notify. The engine still tells a
    /// truncation from a clean close, by watching for the close_notify alert itself (`infoCallback`).
    static func makeContext(
        server: Bool, minimum: TLSVersion, maximum: TLSVersion
    ) throws(TLSError) -> OpaquePointer {
        guard minimum <= maximum else {
            throw TLSError(code: .invalidConfiguration,
                           detail: "minimum version \(minimum) is newer than maximum version \(maximum)")
        }
        OpenSSLErrorQueue.clear()
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError(code: .internal, detail: "SSL_CTX_new failed", openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        var options = courier_SSL_OP_NO_RENEGOTIATION() | courier_SSL_OP_NO_COMPRESSION()
            | courier_SSL_OP_IGNORE_UNEXPECTED_EOF()
        if server { options |= courier_SSL_OP_CIPHER_SERVER_PREFERENCE() }
        SSL_CTX_set_options(context, options)
        // Record buffers (about 17 KB each way) are freed whenever they are empty, so an idle connection in a
        // pool holds none; allocating them again costs far less than the record's cryptography.
        _ = courier_SSL_CTX_set_mode(context, courier_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER() | courier_SSL_MODE_RELEASE_BUFFERS())
        SSL_CTX_set_info_callback(context, TLSEngine.infoCallback)
        guard courier_SSL_CTX_set_min_proto_version(context, minimum.openSSLValue) == 1,
              courier_SSL_CTX_set_max_proto_version(context, maximum.openSSLValue) == 1 else {
            SSL_CTX_free(context)
            throw TLSError(code: .invalidConfiguration, detail: "cannot set TLS versions \(minimum)–\(maximum)",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        return context
    }

    /// Installs a certificate chain and its private key, checking that they belong together.
    static func useIdentity(_ pair: TLSCertificateKeyPair, on context: OpaquePointer, what: String) throws(TLSError) {
        let chain = try PEMLoader.certificates(from: pair.certificateChain, what: "\(what) certificate chain")
        let key = try PEMLoader.privateKey(from: pair.privateKey, what: "\(what) private key")
        OpenSSLErrorQueue.clear()
        var ok = SSL_CTX_use_certificate(context, chain[0].pointer) == 1
        for intermediate in chain.dropFirst() where ok {
            ok = courier_SSL_CTX_add1_chain_cert(context, intermediate.pointer) == 1
        }
        ok = ok && SSL_CTX_use_PrivateKey(context, key.pointer) == 1
        guard ok, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(code: .invalidConfiguration,
                           detail: "\(what) certificate and private key cannot be used together",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
    }

    /// Loads the trust roots into the context's certificate store; returns the certificates when custom.
    @discardableResult
    static func trust(_ roots: TLSTrustRoots, on context: OpaquePointer) throws(TLSError) -> [OpenSSLCertificate] {
        switch roots {
        case .custom(let source):
            let certificates = try PEMLoader.certificates(from: source, what: "trust roots")
            let store = SSL_CTX_get_cert_store(context)
            OpenSSLErrorQueue.clear()
            for certificate in certificates where X509_STORE_add_cert(store, certificate.pointer) != 1 {
                let queue = OpenSSLErrorQueue.drain()
                // The same CA twice in a bundle is harmless.
                if queue.entries.allSatisfy({ $0.reason == X509_R_CERT_ALREADY_IN_HASH_TABLE }) { continue }
                throw TLSError(code: .invalidConfiguration, detail: "cannot add a trust root", openSSLErrors: queue.texts)
            }
            return certificates
        case .system:
            try SystemTrustStore.install(on: context)
            return []
        }
    }

    /// Application protocol names checked for ALPN (1 to 255 bytes each).
    static func alpnNames(_ names: [String]) throws(TLSError) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for name in names {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError(code: .invalidConfiguration,
                               detail: "ALPN protocol name '\(name)' must be 1 to 255 bytes long")
            }
            result.append(bytes)
        }
        return result
    }

    /// ALPN names in wire format: each prefixed with its length (RFC 7301 §3.1).
    static func alpnWire(_ names: [[UInt8]]) -> [UInt8] {
        names.flatMap { [UInt8($0.count)] + $0 }
    }
}
