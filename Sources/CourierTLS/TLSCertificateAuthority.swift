import COpenSSL
import CCourierOpenSSLShims

/// A throwaway certificate authority made in memory with OpenSSL's API: for tests and local servers,
/// so no certificate or key files live in the repository and no `openssl` command is needed.
///
/// Keys are ECDSA P-256 and signatures SHA-256. Validity is given relative to now, so tests can make
/// expired and not-yet-valid certificates. Issued leaves carry both serverAuth and clientAuth usages,
/// so one leaf serves for a server and for mutual TLS.
public struct TLSCertificateAuthority: Sendable {
    /// This CA's certificate (PEM).
    public let certificatePEM: String
    /// This CA's private key (PEM, unencrypted).
    public let privateKeyPEM: String
    /// The CA certificates between a leaf issued here and the root, this CA first (empty for a root).
    public let intermediatesPEM: String
    /// The certificate and key as OpenSSL objects, kept so issuing does not parse the PEM text again.
    private let signer: Signer

    /// Trust roots containing this CA alone (for a root CA).
    public var trustRoots: TLSTrustRoots { .custom(.pem(certificatePEM)) }

    /// A new self-signed root CA.
    public init(
        commonName: String = "Courier Test CA",
        validFrom: Duration = .seconds(-3600), validUntil: Duration = .seconds(30 * 86400)
    ) throws(TLSError) {
        let key = try Self.makeKey()
        let certificate = try Self.makeCertificate(
            commonName: commonName, subjectKey: key, issuer: nil, issuerKey: key, isAuthority: true,
            dnsNames: [], ipAddresses: [], validFrom: validFrom, validUntil: validUntil)
        try self.init(certificate: certificate, key: key, intermediatesPEM: "")
    }

    private init(certificate: OpenSSLCertificate, key: OpenSSLPrivateKey, intermediatesPEM: String) throws(TLSError) {
        self.certificatePEM = try Self.pem(certificate)
        self.privateKeyPEM = try Self.pem(key)
        self.intermediatesPEM = intermediatesPEM
        self.signer = Signer(certificate: certificate, key: key)
    }

    /// A leaf certificate signed by this CA for the given names and addresses.
    public func issue(
        commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [],
        validFrom: Duration = .seconds(-3600), validUntil: Duration = .seconds(7 * 86400)
    ) throws(TLSError) -> TLSIssuedCertificate {
        let key = try Self.makeKey()
        let certificate = try Self.makeCertificate(
            commonName: commonName, subjectKey: key, issuer: signer.certificate, issuerKey: signer.key, isAuthority: false,
            dnsNames: dnsNames, ipAddresses: ipAddresses, validFrom: validFrom, validUntil: validUntil)
        let leaf = try Self.pem(certificate)
        return TLSIssuedCertificate(certificatePEM: leaf, privateKeyPEM: try Self.pem(key),
                                    chainPEM: leaf + intermediatesPEM)
    }

    /// A leaf for `localhost`, `127.0.0.1` and `::1`: what a loopback test server presents.
    public func issueLocalhost(
        validFrom: Duration = .seconds(-3600), validUntil: Duration = .seconds(7 * 86400)
    ) throws(TLSError) -> TLSIssuedCertificate {
        try issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"],
                  validFrom: validFrom, validUntil: validUntil)
    }

    /// An intermediate CA signed by this one; leaves it issues carry the intermediates in their chain.
    public func issueIntermediate(
        commonName: String = "Courier Test Intermediate CA",
        validFrom: Duration = .seconds(-3600), validUntil: Duration = .seconds(30 * 86400)
    ) throws(TLSError) -> TLSCertificateAuthority {
        let key = try Self.makeKey()
        let certificate = try Self.makeCertificate(
            commonName: commonName, subjectKey: key, issuer: signer.certificate, issuerKey: signer.key, isAuthority: true,
            dnsNames: [], ipAddresses: [], validFrom: validFrom, validUntil: validUntil)
        return try TLSCertificateAuthority(certificate: certificate, key: key,
                                           intermediatesPEM: try Self.pem(certificate) + intermediatesPEM)
    }

    // MARK: - OpenSSL

    /// The CA's own certificate and key, never modified after creation. Safe to share across threads
    /// (hence `@unchecked`): OpenSSL allows threads to use one object at once as long as none modifies it
    /// (openssl-threads(7)); `X509_sign` reads the key through its own per-call digest context, as an
    /// `SSL_CTX`'s key signs concurrent handshakes, and the issuer's certificate is only read.
    private final class Signer: @unchecked Sendable {
        let certificate: OpenSSLCertificate
        let key: OpenSSLPrivateKey

        init(certificate: OpenSSLCertificate, key: OpenSSLPrivateKey) {
            self.certificate = certificate
            self.key = key
        }
    }

    private static func failure(_ what: String) -> TLSError {
        TLSError(code: .internal, detail: "cannot generate a certificate: \(what) failed",
                 openSSLErrors: OpenSSLErrorQueue.drain().texts)
    }

    private static func makeKey() throws(TLSError) -> OpenSSLPrivateKey {
        OpenSSLErrorQueue.clear()
        guard let key = courier_EVP_EC_gen("P-256") else { throw failure("EC key generation") }
        return OpenSSLPrivateKey(taking: key)
    }

    private static func makeCertificate(
        commonName: String, subjectKey: OpenSSLPrivateKey, issuer: OpenSSLCertificate?, issuerKey: OpenSSLPrivateKey,
        isAuthority: Bool, dnsNames: [String], ipAddresses: [String], validFrom: Duration, validUntil: Duration
    ) throws(TLSError) -> OpenSSLCertificate {
        guard !commonName.isEmpty, !commonName.utf8.contains(0) else {
            throw TLSError(code: .invalidConfiguration, detail: "a certificate needs a common name without NUL")
        }
        OpenSSLErrorQueue.clear()
        guard let x509 = X509_new() else { throw failure("X509_new") }
        let certificate = OpenSSLCertificate(taking: x509)
        // Version 3 (encoded as 2), a random positive 127-bit serial (RFC 5280 §4.1.2.2).
        var serial = [UInt8](repeating: 0, count: 16)
        guard X509_set_version(x509, 2) == 1, RAND_bytes(&serial, 16) == 1 else { throw failure("serial") }
        serial[0] &= 0x7f
        guard let number = BN_bin2bn(serial, 16, nil) else { throw failure("serial") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil,
              X509_gmtime_adj(X509_getm_notBefore(x509), Int(validFrom.components.seconds)) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), Int(validUntil.components.seconds)) != nil,
              X509_set_pubkey(x509, subjectKey.pointer) == 1 else { throw failure("certificate fields") }
        let name = X509_get_subject_name(x509)
        // RFC 5280 bounds a common name to 64 characters.
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1 else {
            throw TLSError(code: .invalidConfiguration, detail: "'\(commonName)' cannot be a common name (1 to 64 characters)",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        guard X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, "Courier tests", -1, -1, 0) == 1,
              X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.pointer) } ?? name) == 1 else {
            throw failure("certificate names")
        }
        var extensions: [(Int32, String)] = [(NID_subject_key_identifier, "hash")]
        if isAuthority {
            extensions += [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
        } else {
            extensions += [(NID_basic_constraints, "critical,CA:FALSE"),
                           (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
                           (NID_ext_key_usage, "serverAuth,clientAuth")]
        }
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        // Names go into OpenSSL's "DNS:a,IP:b" syntax: refuse anything that could add a name of its own.
        for name in dnsNames where name.isEmpty || name.contains(where: { ",:\0".contains($0) || $0.isWhitespace }) {
            throw TLSError(code: .invalidConfiguration, detail: "'\(name)' is not a DNS name")
        }
        for address in ipAddresses where !HostName(address).isIPAddress || address.contains(where: { ",[]%".contains($0) }) {
            throw TLSError(code: .invalidConfiguration, detail: "'\(address)' is not an IP address")
        }
        let alternativeNames = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        if !alternativeNames.isEmpty {
            extensions.append((NID_subject_alt_name, alternativeNames.joined(separator: ",")))
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TLSError(code: .invalidConfiguration, detail: "cannot encode certificate extension '\(value)'",
                               openSSLErrors: OpenSSLErrorQueue.drain().texts)
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw failure("adding an extension") }
        }
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else { throw failure("signing") }
        return certificate
    }

    private static func pem(_ certificate: OpenSSLCertificate) throws(TLSError) -> String {
        guard let text = PEMLoader.pemText({ PEM_write_bio_X509($0, certificate.pointer) }) else {
            throw failure("PEM encoding")
        }
        return text
    }

    private static func pem(_ key: OpenSSLPrivateKey) throws(TLSError) -> String {
        guard let text = PEMLoader.pemText({ PEM_write_bio_PrivateKey($0, key.pointer, nil, nil, 0, nil, nil) }) else {
            throw failure("PEM encoding")
        }
        return text
    }
}

/// A certificate issued by a `TLSCertificateAuthority`, with its key.
public struct TLSIssuedCertificate: Sendable {
    /// The leaf certificate alone (PEM).
    public let certificatePEM: String
    /// The leaf's private key (PEM, unencrypted).
    public let privateKeyPEM: String
    /// The leaf followed by the intermediates up to (not including) the root: what a server presents.
    public let chainPEM: String

    /// The chain and key, ready for a server configuration or a client certificate.
    public var keyPair: TLSCertificateKeyPair {
        TLSCertificateKeyPair(certificateChain: .pem(chainPEM), privateKey: .pem(privateKeyPEM))
    }
}
