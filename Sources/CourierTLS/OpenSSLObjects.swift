#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import CCourierOpenSSLShims

/// An owned `X509*`, freed when the last reference goes away.
final class OpenSSLCertificate {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (one reference).
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// Adds a reference to a borrowed `X509*` and owns that reference.
    init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }
}

/// An owned `EVP_PKEY*`, freed when the last reference goes away.
final class OpenSSLPrivateKey {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer` (one reference).
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }
}

/// Reads PEM sources into OpenSSL objects; every failure is an `.invalidConfiguration` error naming the source.
enum PEMLoader {
    /// The bytes of a PEM source (the file is read whole; PEM files are small).
    static func bytes(of source: TLSPEMSource, what: String) throws(TLSError) -> [UInt8] {
        switch source {
        case .pem(let text):
            return Array(text.utf8)
        case .file(let path):
            guard let file = fopen(path, "rb") else {
                throw TLSError(code: .invalidConfiguration,
                               detail: "cannot open \(what) file \(path): \(String(cString: strerror(errno)))")
            }
            defer { fclose(file) }
            var result: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16384)
            while true {
                let count = fread(&chunk, 1, chunk.count, file)
                if count <= 0 { break }
                result.append(contentsOf: chunk[0..<count])
                if result.count > 16 << 20 {
                    throw TLSError(code: .invalidConfiguration, detail: "\(what) file \(path) is larger than 16 MiB")
                }
            }
            if ferror(file) != 0 {
                throw TLSError(code: .invalidConfiguration, detail: "cannot read \(what) file \(path)")
            }
            return result
        }
    }

    /// Every `CERTIFICATE` block in the source, in order; at least one.
    static func certificates(from source: TLSPEMSource, what: String) throws(TLSError) -> [OpenSSLCertificate] {
        let bytes = try bytes(of: source, what: what)
        OpenSSLErrorQueue.clear()
        let result: [OpenSSLCertificate] = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return [] }
            defer { BIO_free(bio) }
            var certificates: [OpenSSLCertificate] = []
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(OpenSSLCertificate(taking: x509))
            }
            return certificates
        }
        // Reading stops with "no start line" at the end of the input; that is not an error.
        let queue = OpenSSLErrorQueue.drain()
        let realErrors = queue.entries.filter { !($0.library == ERR_LIB_PEM && $0.reason == PEM_R_NO_START_LINE) }
        if result.isEmpty || !realErrors.isEmpty {
            throw TLSError(code: .invalidConfiguration,
                           detail: "no valid PEM certificate in \(what) (\(describe(source)))",
                           openSSLErrors: queue.texts)
        }
        return result
    }

    /// The first private key in the source.
    static func privateKey(from source: TLSPEMSource, what: String) throws(TLSError) -> OpenSSLPrivateKey {
        let bytes = try bytes(of: source, what: what)
        OpenSSLErrorQueue.clear()
        let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            throw TLSError(code: .invalidConfiguration,
                           detail: "no valid unencrypted PEM private key in \(what) (\(describe(source)))",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        return OpenSSLPrivateKey(taking: key)
    }

    /// Names a source in messages without printing key material.
    static func describe(_ source: TLSPEMSource) -> String {
        switch source {
        case .file(let path): return "file \(path)"
        case .pem(let text): return "in-memory PEM, \(text.utf8.count) bytes"
        }
    }

    /// The PEM text of an OpenSSL object written by `write` to a memory BIO.
    static func pemText(_ write: (OpaquePointer) -> Int32) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = courier_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}
