import COpenSSL
import CCourierOpenSSLShims

/// A server configuration compiled into one OpenSSL `SSL_CTX`, shared by every accepted connection.
///
/// `@unchecked Sendable`: the `SSL_CTX` and the ALPN preference are set only inside `init`; afterwards
/// OpenSSL allows many threads to create connections from the context, and its server session cache
/// and ticket keys are protected by OpenSSL's own locks.
public final class TLSServerContext: @unchecked Sendable {
    /// The configuration this context was built from.
    public let configuration: TLSServerConfiguration
    let context: OpaquePointer
    private let alpn: ALPNPreference

    /// Compiles `configuration`.
    public init(configuration: TLSServerConfiguration) throws(TLSError) {
        guard configuration.maximumBufferedCiphertext >= 16 * 1024 + 512 else {
            throw TLSError(code: .invalidConfiguration,
                           detail: "maximumBufferedCiphertext must hold at least one full TLS record (16.5 KiB)")
        }
        let context = try OpenSSLContextBuilder.makeContext(
            server: true, minimum: configuration.minimumVersion, maximum: configuration.maximumVersion)
        let alpn: ALPNPreference
        do throws(TLSError) {
            try OpenSSLContextBuilder.useIdentity(configuration.certificate, on: context, what: "server")
            switch configuration.clientAuthentication {
            case .none:
                courier_SSL_CTX_set_verify(context, SSL_VERIFY_NONE)
            case .optional(let roots), .required(let roots):
                let authorities = try OpenSSLContextBuilder.trust(.custom(roots), on: context)
                // Tell clients which CAs we accept, so they can pick a matching certificate.
                for authority in authorities { SSL_CTX_add_client_CA(context, authority.pointer) }
                var mode = SSL_VERIFY_PEER
                if case .required = configuration.clientAuthentication { mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT }
                courier_SSL_CTX_set_verify(context, mode)
            }
            // Needed for resumption whenever client certificates are verified; harmless otherwise.
            let sessionContext = Array("courier".utf8)
            SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
            if !configuration.sessionResumption {
                SSL_CTX_set_options(context, courier_SSL_OP_NO_TICKET())
                _ = courier_SSL_CTX_set_session_cache_mode(context, 0)
            }
            alpn = ALPNPreference(names: try OpenSSLContextBuilder.alpnNames(configuration.applicationProtocols),
                                  required: configuration.requireApplicationProtocolMatch)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.configuration = configuration
        self.context = context
        self.alpn = alpn
        if !alpn.names.isEmpty {
            SSL_CTX_set_alpn_select_cb(context, ALPNPreference.selectCallback,
                                       Unmanaged.passUnretained(alpn).toOpaque())
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// The server's ALPN choice: its first protocol that the client also offers (RFC 7301 §3.2).
/// Read-only after creation; the context keeps it alive as long as the `SSL_CTX` can call it.
final class ALPNPreference: Sendable {
    let names: [[UInt8]]
    let required: Bool

    init(names: [[UInt8]], required: Bool) {
        self.names = names
        self.required = required
    }

    /// OpenSSL's ALPN selection callback; `argument` is an unretained `ALPNPreference`.
    static let selectCallback: @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, argument in
        guard let out, let outLength, let offered, let argument else { return SSL_TLSEXT_ERR_NOACK }
        let preference = Unmanaged<ALPNPreference>.fromOpaque(argument).takeUnretainedValue()
        let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        for name in preference.names {
            var index = 0
            while index < client.count {
                let length = Int(client[index])
                let start = index + 1
                guard start + length <= client.count else { break }
                if length == name.count && client[start..<start + length].elementsEqual(name) {
                    // Point into the client's list, which OpenSSL keeps alive and copies from.
                    out.pointee = offered + start
                    outLength.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index = start + length
            }
        }
        return preference.required ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK
    }
}
