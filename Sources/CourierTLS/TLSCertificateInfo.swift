#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import CCourierOpenSSLShims

/// What a certificate says, read once into plain values: who it names, for how long, and its key's pin.
public struct TLSCertificateInfo: Sendable, Hashable, CustomStringConvertible {
    /// The subject in OpenSSL's one-line form, e.g. `/CN=localhost`.
    public let subject: String
    /// The issuer in OpenSSL's one-line form.
    public let issuer: String
    /// The subject's common name, if any.
    public let commonName: String?
    /// DNS names from the subject alternative name extension.
    public let dnsNames: [String]
    /// IP addresses from the subject alternative name extension, in text form (`127.0.0.1`, `::1`).
    public let ipAddresses: [String]
    /// Start of validity, seconds since 1970-01-01 UTC.
    public let notValidBefore: Int64
    /// End of validity, seconds since 1970-01-01 UTC.
    public let notValidAfter: Int64
    /// The serial number in upper-case hex.
    public let serialNumber: String
    /// The pin of the certificate's public key (SHA-256 of its SubjectPublicKeyInfo).
    public let publicKeyPin: TLSPublicKeyPin
    /// The certificate in DER.
    public let der: [UInt8]

    /// The names this certificate speaks for: SAN DNS names, SAN addresses, then the common name when it
    /// is not one of them (OpenSSL, like browsers, ignores the common name when SANs are present).
    public var names: [String] {
        let alternatives = dnsNames + ipAddresses
        guard let commonName, !alternatives.contains(commonName) else { return alternatives }
        return alternatives + [commonName]
    }

    /// The subject and the names it covers.
    public var description: String { "\(subject) [\(names.joined(separator: ", "))]" }

    /// Reads a certificate (borrowed `X509*`).
    init(x509: OpaquePointer) {
        subject = Self.oneLine(X509_get_subject_name(x509))
        issuer = Self.oneLine(X509_get_issuer_name(x509))
        commonName = Self.commonName(X509_get_subject_name(x509))
        (dnsNames, ipAddresses) = Self.alternativeNames(x509)
        notValidBefore = Self.unixTime(X509_get0_notBefore(x509))
        notValidAfter = Self.unixTime(X509_get0_notAfter(x509))
        serialNumber = Self.serial(x509)
        publicKeyPin = TLSPublicKeyPin(sha256: Self.spkiSHA256(x509)) ?? TLSPublicKeyPin(sha256: [UInt8](repeating: 0, count: 32))!
        der = Self.der(x509)
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo (borrowed `X509*`).
    static func spkiSHA256(_ x509: OpaquePointer) -> [UInt8] {
        guard let key = X509_get_X509_PUBKEY(x509) else { return [] }
        let length = i2d_X509_PUBKEY(key, nil)
        guard length > 0 else { return [] }
        var encoded = [UInt8](repeating: 0, count: Int(length))
        encoded.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_X509_PUBKEY(key, &cursor)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        SHA256(encoded, encoded.count, &digest)
        return digest
    }

    private static func der(_ x509: OpaquePointer) -> [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var encoded = [UInt8](repeating: 0, count: Int(length))
        encoded.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return encoded
    }

    private static func oneLine(_ name: OpaquePointer?) -> String {
        guard let name, let text = X509_NAME_oneline(name, nil, 0) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }

    private static func commonName(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        return string(data)
    }

    /// An ASN1 string as UTF-8 text.
    private static func string(_ asn1: UnsafePointer<ASN1_STRING>) -> String? {
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, asn1)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func alternativeNames(_ x509: OpaquePointer) -> ([String], [String]) {
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return ([], []) }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var dns: [String] = []
        var addresses: [String] = []
        for index in 0..<OPENSSL_sk_num(names) {
            guard let element = OPENSSL_sk_value(names, index) else { continue }
            let name = element.assumingMemoryBound(to: GENERAL_NAME.self)
            switch name.pointee.type {
            case GEN_DNS:
                if let value = name.pointee.d.dNSName, let text = string(value) { dns.append(text) }
            case GEN_IPADD:
                if let value = name.pointee.d.iPAddress, let text = ipAddress(value) { addresses.append(text) }
            default:
                break
            }
        }
        return (dns, addresses)
    }

    private static func ipAddress(_ octets: UnsafePointer<ASN1_STRING>) -> String? {
        let length = Int(ASN1_STRING_length(octets))
        guard let bytes = ASN1_STRING_get0_data(octets), length == 4 || length == 16 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, &text, socklen_t(text.count)) != nil else { return nil }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func unixTime(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return Int64(timegm(&parts))
    }

    private static func serial(_ x509: OpaquePointer) -> String {
        guard let serial = X509_get0_serialNumber(x509), let number = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }
}
