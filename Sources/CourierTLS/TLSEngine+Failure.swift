#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import CCourierOpenSSLShims

/// Turning OpenSSL's error state into a `TLSError` that says what failed.
///
/// Order of evidence: a failed certificate verification (the X509 verify result names the exact
/// problem), then an alert the peer sent (OpenSSL files those as reason 1000 + alert code), then the
/// first SSL-library reason, then the stream having ended.
extension TLSEngine {
    func failure(sslError code: Int32, duringHandshake: Bool) -> TLSError {
        let queue = OpenSSLErrorQueue.drain()
        let texts = queue.texts
        let peer = role == .client ? "server" : "client"
        if queue.contains(sslReason: SSL_R_CERTIFICATE_VERIFY_FAILED) {
            return verificationFailure(texts)
        }
        let reason = queue.firstSSLReason
        if let reason, reason >= SSL_AD_REASON_OFFSET, reason < SSL_AD_REASON_OFFSET + 256 {
            return alertFailure(UInt8(reason - SSL_AD_REASON_OFFSET), texts)
        }
        let streamEnded = code == SSL_ERROR_ZERO_RETURN
            || (endOfStreamReceived && (code == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING))
        if streamEnded {
            return duringHandshake
                ? TLSError(code: .closedDuringHandshake,
                           detail: "the \(peer) closed the connection during the handshake", openSSLErrors: texts)
                : TLSError(code: .truncated, detail: "the \(peer) closed the connection without close_notify",
                           openSSLErrors: texts)
        }
        switch reason {
        case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_NO_PROTOCOLS_AVAILABLE, SSL_R_VERSION_TOO_LOW,
             SSL_R_VERSION_TOO_HIGH, SSL_R_WRONG_SSL_VERSION, SSL_R_BAD_PROTOCOL_VERSION_NUMBER:
            return TLSError(code: .protocolVersion,
                            detail: "no TLS version acceptable to both sides (we accept \(versionRange))",
                            openSSLErrors: texts)
        case SSL_R_NO_SHARED_CIPHER, SSL_R_NO_SHARED_GROUPS, SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS,
             SSL_R_NO_SUITABLE_KEY_SHARE, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM, SSL_R_NO_CIPHERS_AVAILABLE:
            return TLSError(code: .negotiationFailed,
                            detail: "no cipher suite, group or signature algorithm in common with the \(peer)",
                            openSSLErrors: texts)
        case SSL_R_NO_APPLICATION_PROTOCOL:
            return TLSError(code: .alpnMismatch,
                            detail: "the \(peer) offered no application protocol (ALPN) we speak", openSSLErrors: texts)
        case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
            return TLSError(code: .certificateRequired,
                            detail: "the client sent no certificate and one is required", openSSLErrors: texts)
        case SSL_R_WRONG_VERSION_NUMBER, SSL_R_HTTP_REQUEST, SSL_R_HTTPS_PROXY_REQUEST,
             SSL_R_PACKET_LENGTH_TOO_LONG, SSL_R_UNKNOWN_PROTOCOL:
            return TLSError(code: .protocolViolation,
                            detail: "the \(peer) does not speak TLS (its bytes are not TLS records)", openSSLErrors: texts)
        case .some:
            return TLSError(code: .protocolViolation,
                            detail: "the \(peer) broke the TLS protocol: \(texts.first ?? "unknown reason")",
                            openSSLErrors: texts)
        case .none:
            return TLSError(code: .internal, detail: "OpenSSL failed (SSL_get_error \(code))", openSSLErrors: texts)
        }
    }

    private var versionRange: String {
        let (minimum, maximum) = role == .client
            ? (clientContext!.configuration.minimumVersion, clientContext!.configuration.maximumVersion)
            : (serverContext!.configuration.minimumVersion, serverContext!.configuration.maximumVersion)
        return minimum == maximum ? "\(minimum) only" : "\(minimum)–\(maximum)"
    }

    /// The certificate check failed: say which certificate, why, and which names it carried.
    private func verificationFailure(_ texts: [String]) -> TLSError {
        let result = SSL_get_verify_result(ssl)
        let reason = String(cString: X509_verify_cert_error_string(result))
        let leaf = courier_SSL_get0_verified_leaf(ssl).map { TLSCertificateInfo(x509: $0) }
        let failed = courier_SSL_get0_failed_certificate(ssl).map { TLSCertificateInfo(x509: $0) } ?? leaf
        let names = leaf?.names ?? []
        let whose = role == .client ? "server's" : "client's"
        let subject = failed.map { " \($0.subject)" } ?? ""
        switch Int32(truncatingIfNeeded: result) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            let when = failed.map { " on " + Self.formatUTC($0.notValidAfter) } ?? ""
            return TLSError(code: .certificateExpired, detail: "the \(whose) certificate\(subject) expired\(when)",
                            openSSLErrors: texts, namesSeen: names, verificationResult: result)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            let when = failed.map { " until " + Self.formatUTC($0.notValidBefore) } ?? ""
            return TLSError(code: .certificateNotYetValid,
                            detail: "the \(whose) certificate\(subject) is not valid\(when) (is the clock right?)",
                            openSSLErrors: texts, namesSeen: names, verificationResult: result)
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            let shown = names.isEmpty ? "no names" : names.joined(separator: ", ")
            return TLSError(code: .hostnameMismatch,
                            detail: "the \(whose) certificate is for \(shown), not \(expectedName ?? "the requested host")",
                            openSSLErrors: texts, namesSeen: names, expectedName: expectedName,
                            verificationResult: result)
        default:
            return TLSError(code: .untrustedCertificate,
                            detail: "the \(whose) certificate chain is not trusted: \(reason)\(failed.map { " (at \($0.subject), issued by \($0.issuer))" } ?? "")",
                            openSSLErrors: texts, namesSeen: names, verificationResult: result)
        }
    }

    /// The peer sent a fatal alert (RFC 8446 §6.2).
    private func alertFailure(_ alert: UInt8, _ texts: [String]) -> TLSError {
        let name = String(cString: SSL_alert_desc_string_long(Int32(alert)))
        let peer = role == .client ? "server" : "client"
        let code: TLSError.Code
        let detail: String
        switch alert {
        case 70:
            code = .protocolVersion
            detail = "the \(peer) accepts none of our TLS versions (\(versionRange))"
        case 120:
            code = .alpnMismatch
            detail = "the \(peer) speaks none of the application protocols we offered (ALPN)"
        case 116:
            code = .certificateRequired
            detail = "the server requires a client certificate and we sent none"
        case 42, 43, 44, 45, 46, 48, 49:
            code = .peerRejectedCertificate
            detail = "the \(peer) rejected our certificate: \(name)"
        case 71:
            code = .negotiationFailed
            detail = "the \(peer) found no acceptable parameters: \(name)"
        default:
            code = .peerAlert
            detail = "the \(peer) aborted the connection: \(name)"
        }
        return TLSError(code: code, detail: detail, openSSLErrors: texts, peerAlert: alert)
    }

    /// Seconds since 1970 as `2026-01-31 23:59:59 UTC`.
    static func formatUTC(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(seconds)" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let length = strftime(buffer.baseAddress, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: length), as: UTF8.self)
        }
    }
}
