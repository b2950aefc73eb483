import COpenSSL
import CCourierOpenSSLShims

/// What the handshake settled, and pinning.
extension TLSEngine {
    /// The application protocol the server selected with ALPN (`h2`, `http/1.1`), or nil when none was.
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The TLS version in use, once the handshake has completed.
    public var negotiatedVersion: TLSVersion? {
        isHandshakeComplete ? TLSVersion(openSSLValue: SSL_version(ssl)) : nil
    }

    /// The cipher suite in use (OpenSSL's name, e.g. `TLS_AES_128_GCM_SHA256`), once known.
    public var cipherSuite: String? {
        guard let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return nil }
        return String(cString: name)
    }

    /// Whether the handshake resumed an earlier session instead of doing a full key exchange.
    public var isSessionReused: Bool { SSL_session_reused(ssl) == 1 }

    /// The server name: the SNI a client sent (nil for IP literals), or the SNI a server received.
    public var serverName: String? {
        guard let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return nil }
        return String(cString: name)
    }

    /// The peer's leaf certificate, when it sent one (servers always do; clients only with mutual TLS).
    public var peerCertificate: TLSCertificateInfo? {
        SSL_get0_peer_certificate(ssl).map { TLSCertificateInfo(x509: $0) }
    }

    /// The error when no certificate in the peer's chain carries a pinned public key, else nil.
    /// The chain is the verified one (leaf to root) or, without verification, what the peer sent.
    func pinningFailure(_ pins: [TLSPublicKeyPin]) -> TLSError? {
        let chain = SSL_get0_verified_chain(ssl) ?? SSL_get_peer_cert_chain(ssl)
        var seen: [TLSPublicKeyPin] = []
        if let chain {
            for index in 0..<OPENSSL_sk_num(chain) {
                guard let certificate = OPENSSL_sk_value(chain, index) else { continue }
                guard let pin = TLSPublicKeyPin(sha256: TLSCertificateInfo.spkiSHA256(OpaquePointer(certificate))) else { continue }
                if pins.contains(pin) { return nil }
                seen.append(pin)
            }
        }
        let names = peerCertificate?.names ?? []
        return TLSError(
            code: .pinningFailed,
            detail: "no public key in the server's chain matches a pin; the chain has "
                + (seen.isEmpty ? "no certificates" : seen.map(\.description).joined(separator: ", ")),
            namesSeen: names, expectedName: expectedName)
    }
}
