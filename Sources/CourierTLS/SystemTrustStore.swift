#if canImport(Glibc)
import CourierCore
import Glibc
#endif
import COpenSSL

/// The system's trust roots as one OpenSSL certificate store, loaded once per process and shared by every
/// context that trusts the system roots.
///
/// Loading a CA bundle (`SSL_CERT_FILE`) parses every certificate in it, about 15 ms of CPU for Debian's;
/// every client pays it at creation, so a process that creates clients per task or per host would spend
/// most of its time there. The store is rebuilt when `SSL_CERT_FILE` or `SSL_CERT_DIR` changes.
enum SystemTrustStore {
    /// `@unchecked Sendable`: the store is filled once, before it is published, and OpenSSL guards the
    /// lookups that later read and cache certificates from a directory with the store's own lock.
    private final class Store: @unchecked Sendable {
        let key: String
        let pointer: OpaquePointer
        init(key: String, pointer: OpaquePointer) {
            self.key = key
            self.pointer = pointer
        }
        deinit { X509_STORE_free(pointer) }
    }

    private static let current = Locked<Store?>(nil)

    /// Makes `context` use the shared store (reference-counted by OpenSSL), loading it on first use.
    static func install(on context: OpaquePointer) throws(TLSError) {
        let file = getenv("SSL_CERT_FILE").map { String(cString: $0) }
        let directory = getenv("SSL_CERT_DIR").map { String(cString: $0) }
        let key = "\(file ?? "-")\n\(directory ?? "-")"
        let store = try current.withLock { (current) throws(TLSError) -> Store in
            if let current, current.key == key { return current }
            let store = try load(fromEnvironment: file != nil || directory != nil, key: key)
            current = store
            return store
        }
        SSL_CTX_set1_cert_store(context, store.pointer)
    }

    /// The default paths when the environment names them (as `SSL_CTX_set_default_verify_paths`), otherwise
    /// Debian's hashed directory, read lazily certificate by certificate.
    private static func load(fromEnvironment: Bool, key: String) throws(TLSError) -> Store {
        OpenSSLErrorQueue.clear()
        guard let pointer = X509_STORE_new() else {
            throw TLSError(code: .internal, detail: "X509_STORE_new failed", openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        let loaded = fromEnvironment
            ? X509_STORE_set_default_paths(pointer) == 1
            : X509_STORE_load_path(pointer, "/etc/ssl/certs") == 1
        guard loaded else {
            X509_STORE_free(pointer)
            throw TLSError(code: .invalidConfiguration, detail: "cannot load the system trust store",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        return Store(key: key, pointer: pointer)
    }
}
