#if canImport(Glibc)
import Glibc
#endif
import CourierCore
import COpenSSL
import CCourierOpenSSLShims

/// One TLS session (client or server) as a sans-I/O object: ciphertext in and out, plaintext in and out.
///
/// Theory of operation. OpenSSL's `SSL` reads from an inbound BIO (`feedCiphertext` copies into it,
/// `withCiphertext` lends it a read's bytes) and writes to a memory BIO (`outboundCiphertext` drains
/// it), so the engine never touches a socket or a clock (RFC 8446 via OpenSSL; TLS 1.2 per RFC 5246).
/// The driver that owns the socket runs the loop:
///
/// 1. `handshake()` until `.complete`; after every call, send `outboundCiphertext(into:)`; on `.wantRead`,
///    read the socket, `feedCiphertext`, call again. On socket EOF call `receivedEndOfStream()` first.
/// 2. Right after `.complete`, and whenever ciphertext arrives, call `readPlaintext` (the last handshake
///    flight may carry data); send the outbound ciphertext after reads too (key updates, alerts).
///    `writePlaintext` accepts at most `maximumBufferedCiphertext` of unsent ciphertext: send and call
///    again with the rest.
/// 3. `close()` queues close_notify; send it and close the socket. After any thrown error, send the
///    outbound ciphertext too (it may hold the alert telling the peer why), then close.
///
/// Policy built in: renegotiation is refused (the context sets `SSL_OP_NO_RENEGOTIATION`); a close_notify
/// from the peer is reported as `.closed(.closeNotify)` (answer it with `close()`); a stream that ends
/// without close_notify is reported as `.closed(.truncated)` so the protocol layer can judge it against
/// its framing. Pins are checked as soon as the handshake completes. The handshake timeout
/// (`TLSError.Code.handshakeTimeout`) belongs to the driver, which has the clock.
///
/// Not thread-safe and not `Sendable`: an engine lives on its connection's event-loop thread.
public final class TLSEngine {
    /// Which side of the handshake this engine plays.
    public enum Role: Sendable, Hashable {
        /// Connects, sends SNI, verifies the server.
        case client
        /// Accepts, presents a certificate, optionally verifies the client.
        case server
    }

    enum State {
        case handshaking
        case established
        case closed(TLSCloseReason)
        case failed(TLSError)
    }

    /// Which side this engine plays.
    public let role: Role
    let ssl: OpaquePointer
    let inbound: OpaquePointer
    let outbound: OpaquePointer
    let clientContext: TLSClientContext?
    let serverContext: TLSServerContext?
    /// The host or address the client verifies the certificate against (nil for servers and insecure clients).
    let expectedName: String?
    let origin: TLSSessionCache.Origin?
    let maximumBufferedCiphertext: Int
    var state: State = .handshaking
    var endOfStreamReceived = false
    var closeNotifySent = false
    /// Set by `infoCallback` when the peer's close_notify alert is read.
    var closeNotifyReceived = false
    /// The cached session offered in the ClientHello, if any.
    var offeredSession: TLSSession?
    /// Sessions that arrived before the peer passed every check (pins); cached once it has.
    var pendingSessions: [TLSSession] = []
    var peerValidated = false

    /// The ex_data slot holding an unretained pointer from the `SSL` back to its engine.
    static let engineIndex: Int32 = courier_SSL_get_ex_new_index()

    /// A client engine for `serverHostname` (a DNS name or an IP literal, brackets allowed) on `port`.
    /// SNI is sent for names and not for IP literals; the certificate must cover the name or address
    /// unless the context is insecure. A cached session for this origin is offered when there is one.
    public init(context: TLSClientContext, serverHostname: String, port: Int) throws(TLSError) {
        let host = HostName(serverHostname)
        guard !host.value.isEmpty, !serverHostname.utf8.contains(0) else {
            throw TLSError(code: .invalidConfiguration, detail: "empty server host name or one containing NUL")
        }
        let (ssl, inbound, outbound) = try Self.makeSSL(context.context)
        SSL_set_connect_state(ssl)
        var ok = true
        if !host.isIPAddress {
            ok = courier_SSL_set_tlsext_host_name(ssl, host.value) == 1
        }
        if ok && !context.isInsecure {
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            if host.isIPAddress {
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.value) == 1
            } else {
                ok = SSL_set1_host(ssl, host.value) == 1
            }
        }
        guard ok else {
            SSL_free(ssl)
            throw TLSError(code: .invalidConfiguration, detail: "cannot use '\(serverHostname)' as a server name",
                           openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        let origin = TLSSessionCache.Origin(host: host.value, port: port, contextIdentity: context.identity)
        let offeredSession = context.sessionCache?.session(for: origin)
        if let offeredSession { SSL_set_session(ssl, offeredSession.pointer) }
        self.role = .client
        self.ssl = ssl
        self.inbound = inbound
        self.outbound = outbound
        self.clientContext = context
        self.serverContext = nil
        self.expectedName = context.isInsecure ? nil : host.value
        self.origin = origin
        self.offeredSession = offeredSession
        self.maximumBufferedCiphertext = context.configuration.maximumBufferedCiphertext
        SSL_set_ex_data(ssl, Self.engineIndex, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A server engine for one accepted connection.
    public init(context: TLSServerContext) throws(TLSError) {
        let (ssl, inbound, outbound) = try Self.makeSSL(context.context)
        SSL_set_accept_state(ssl)
        self.role = .server
        self.ssl = ssl
        self.inbound = inbound
        self.outbound = outbound
        self.clientContext = nil
        self.serverContext = context
        self.expectedName = nil
        self.origin = nil
        self.maximumBufferedCiphertext = context.configuration.maximumBufferedCiphertext
        SSL_set_ex_data(ssl, Self.engineIndex, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_set_ex_data(ssl, Self.engineIndex, nil)
        // OpenSSL invalidates the session of a connection freed without close_notify; only a failed
        // connection deserves that (RFC 5246 §7.2.1: an unannounced close does not forbid resumption).
        if case .failed = state {} else { SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN) }
        SSL_free(ssl)
    }

    private static func makeSSL(_ context: OpaquePointer) throws(TLSError) -> (OpaquePointer, OpaquePointer, OpaquePointer) {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context) else {
            throw TLSError(code: .internal, detail: "SSL_new failed", openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        guard let inbound = courier_inbound_bio_new() else {
            SSL_free(ssl)
            throw TLSError(code: .internal, detail: "BIO_new failed", openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        guard let outbound = BIO_new(BIO_s_mem()) else {
            BIO_free(inbound)
            SSL_free(ssl)
            throw TLSError(code: .internal, detail: "BIO_new failed", openSSLErrors: OpenSSLErrorQueue.drain().texts)
        }
        SSL_set_bio(ssl, inbound, outbound)  // the SSL now owns both BIOs
        return (ssl, inbound, outbound)
    }

    // MARK: - Ciphertext

    /// Hands ciphertext received from the peer to the engine (copied).
    public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !endOfStreamReceived, !isFailed else { return }
        if courier_inbound_bio_append(inbound, bytes.baseAddress, bytes.count) == 0 {
            failToBuffer()
        }
    }

    /// Lends received ciphertext to the engine while `body` runs (typically a `readPlaintext` loop), so
    /// OpenSSL reads the records straight from `bytes`; only what is left unread then (a partial record)
    /// is copied. Saves a copy of every byte of a download against `feedCiphertext`.
    public func withCiphertext<R>(_ bytes: UnsafeRawBufferPointer, _ body: () throws -> R) rethrows -> R {
        guard !bytes.isEmpty, !endOfStreamReceived, !isFailed else { return try body() }
        courier_inbound_bio_lend(inbound, bytes.baseAddress, bytes.count)
        defer {
            if courier_inbound_bio_end_loan(inbound) == 0 { failToBuffer() }
        }
        return try body()
    }

    private var isFailed: Bool {
        if case .failed = state { return true }
        return false
    }

    private func failToBuffer() {
        state = .failed(TLSError(code: .internal, detail: "cannot buffer received ciphertext",
                                 openSSLErrors: OpenSSLErrorQueue.drain().texts))
    }

    /// Hands the readable bytes of `buffer` to the engine (the buffer itself is not changed).
    public func feedCiphertext(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { feedCiphertext($0) }
    }

    /// Tells the engine the peer closed the TCP stream: nothing more will be fed. Pending handshakes
    /// then fail with `.closedDuringHandshake`, and reads end with `.closed(.truncated)` unless
    /// close_notify arrived first.
    public func receivedEndOfStream() {
        guard !endOfStreamReceived else { return }
        endOfStreamReceived = true
        courier_inbound_bio_set_eof(inbound)
    }

    /// Ciphertext fed but not yet processed.
    public var pendingInboundCiphertext: Int { courier_inbound_bio_pending(inbound) }

    /// Whether a read could produce anything now: plaintext or record bytes OpenSSL holds, ciphertext not
    /// yet given to it, or an end of stream still to report. When false, `readPlaintext` would only say
    /// `.wantRead`; asking costs a pass through OpenSSL's record layer, so callers stop instead.
    public var hasInputToProcess: Bool {
        endOfStreamReceived || SSL_has_pending(ssl) != 0 || courier_inbound_bio_pending(inbound) > 0
    }

    /// Ciphertext waiting to be sent to the peer.
    public var pendingOutboundCiphertext: Int { Int(BIO_ctrl_pending(outbound)) }

    /// Appends all the ciphertext waiting to be sent to `buffer` and returns how many bytes that was.
    @discardableResult
    public func outboundCiphertext(into buffer: inout ByteBuffer) -> Int {
        let pending = Int(BIO_ctrl_pending(outbound))
        guard pending > 0 else { return 0 }
        return buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { region in
            Int(max(0, BIO_read(outbound, region.baseAddress, Int32(clamping: min(pending, region.count)))))
        }
    }

    // MARK: - Handshake

    /// Advances the handshake with the ciphertext fed so far. Throws the typed reason when it fails
    /// (certificate, version, ALPN, pins, peer closed...). Calling it again after `.complete` is cheap.
    public func handshake() throws(TLSError) -> TLSHandshakeState {
        switch state {
        case .failed(let error): throw error
        case .established, .closed: return .complete
        case .handshaking: break
        }
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            try finishHandshake()
            return .complete
        }
        let code = SSL_get_error(ssl, result)
        if code == SSL_ERROR_WANT_READ && !endOfStreamReceived { return .wantRead }
        throw fail(failure(sslError: code, duringHandshake: true))
    }

    private func finishHandshake() throws(TLSError) {
        if role == .client, let pins = clientContext?.configuration.pinnedPublicKeys, !pins.isEmpty,
           !isSessionReused {
            // A resumed session was pinned when it was first established under this same context.
            if let error = pinningFailure(pins) { throw fail(error) }
        }
        peerValidated = true
        state = .established
        let sessions = pendingSessions
        pendingSessions = []
        for session in sessions { cache(session) }
    }

    /// Whether the handshake has completed (and the peer passed every check).
    public var isHandshakeComplete: Bool {
        switch state {
        case .established, .closed: return true
        case .handshaking, .failed: return false
        }
    }

    @discardableResult
    func fail(_ error: TLSError) -> TLSError {
        state = .failed(error)
        pendingSessions = []
        // A session whose connection failed is not offered again (OpenSSL has marked it unusable).
        if let offeredSession, let origin { clientContext?.sessionCache?.discard(offeredSession, for: origin) }
        return error
    }

    // MARK: - Sessions

    /// OpenSSL's new-session callback: a client received a session (TLS 1.3 ticket, TLS 1.2 session).
    /// Returns 1 when the engine keeps the reference OpenSSL passes.
    static let newSessionCallback: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
        guard let ssl, let session, let raw = SSL_get_ex_data(ssl, engineIndex) else { return 0 }
        let engine = Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue()
        guard engine.origin != nil, engine.clientContext?.sessionCache != nil,
              SSL_SESSION_is_resumable(session) == 1 else { return 0 }
        let owned = TLSSession(taking: session)
        if engine.peerValidated {
            engine.cache(owned)
        } else {
            engine.pendingSessions.append(owned)
        }
        return 1
    }

    /// OpenSSL's info callback: notes the peer's close_notify, which tells a clean close from a truncation.
    static let infoCallback: @convention(c) (OpaquePointer?, Int32, Int32) -> Void = { ssl, location, value in
        guard location & SSL_CB_READ_ALERT == SSL_CB_READ_ALERT, value & 0xff == SSL_AD_CLOSE_NOTIFY,
              let ssl, let raw = SSL_get_ex_data(ssl, engineIndex) else { return }
        Unmanaged<TLSEngine>.fromOpaque(raw).takeUnretainedValue().closeNotifyReceived = true
    }

    private func cache(_ session: TLSSession) {
        guard let origin, let cache = clientContext?.sessionCache else { return }
        cache.store(session, for: origin)
    }
}

/// A server name as given by the caller, normalized: brackets and a trailing dot removed, lower-cased,
/// and classified as an IP literal or a DNS name.
struct HostName {
    let value: String
    let isIPAddress: Bool

    init(_ raw: String) {
        var text = Substring(raw)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        // An IPv6 zone ("fe80::1%eth0") names a local interface, not part of the certificate's address.
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if Self.isIP(address) {
            value = address
            isIPAddress = true
        } else {
            if text.hasSuffix(".") { text = text.dropLast() }
            value = text.lowercased()
            isIPAddress = false
        }
    }

    private static func isIP(_ text: String) -> Bool {
        var storage = in6_addr()
        return inet_pton(AF_INET, text, &storage) == 1 || inet_pton(AF_INET6, text, &storage) == 1
    }
}
