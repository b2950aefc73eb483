/// A TLS failure: what went wrong (`code`), in words (`detail`), and the evidence behind it
/// (OpenSSL's error queue, the names the peer's certificate carried, the alert the peer sent).
///
/// Codes are an open set of static members so new ones can be added without breaking callers;
/// compare with `==` or use the `is…` helpers.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What kind of TLS failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case untrustedCertificate, certificateExpired, certificateNotYetValid, hostnameMismatch
            case pinningFailed, peerRejectedCertificate, certificateRequired
            case protocolVersion, negotiationFailed, alpnMismatch, handshakeTimeout, closedDuringHandshake, truncated
            case peerAlert, protocolViolation, connectionClosed, invalidConfiguration, misuse, `internal`
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The peer's chain does not lead to a trusted root (unknown CA, self-signed, bad signature, revoked...).
        public static let untrustedCertificate = Code(.untrustedCertificate)
        /// A certificate in the peer's chain is past its notAfter date.
        public static let certificateExpired = Code(.certificateExpired)
        /// A certificate in the peer's chain is before its notBefore date (often a wrong clock).
        public static let certificateNotYetValid = Code(.certificateNotYetValid)
        /// The peer's certificate is valid but not for the name or address we connected to.
        public static let hostnameMismatch = Code(.hostnameMismatch)
        /// No public key in the peer's chain matches the configured SPKI SHA-256 pins.
        public static let pinningFailed = Code(.pinningFailed)
        /// The peer refused our certificate (mutual TLS) or its chain with a certificate alert.
        public static let peerRejectedCertificate = Code(.peerRejectedCertificate)
        /// The server requires a client certificate and the client sent none.
        public static let certificateRequired = Code(.certificateRequired)
        /// No TLS version is acceptable to both sides.
        public static let protocolVersion = Code(.protocolVersion)
        /// The two sides share no cipher suite, key-exchange group or signature algorithm.
        public static let negotiationFailed = Code(.negotiationFailed)
        /// No application protocol (ALPN) is acceptable to both sides.
        public static let alpnMismatch = Code(.alpnMismatch)
        /// The handshake did not finish in time (raised by the driver that owns the clock).
        public static let handshakeTimeout = Code(.handshakeTimeout)
        /// The peer closed the connection before the handshake finished.
        public static let closedDuringHandshake = Code(.closedDuringHandshake)
        /// The peer closed without close_notify where the framing above cannot prove the data complete
        /// (raised by the protocol layer, which knows the framing).
        public static let truncated = Code(.truncated)
        /// The peer aborted with a fatal alert not covered by a more specific code.
        public static let peerAlert = Code(.peerAlert)
        /// The peer sent bytes that are not valid TLS (or not TLS at all, e.g. plain HTTP).
        public static let protocolViolation = Code(.protocolViolation)
        /// The TLS session has ended (close_notify sent or received, or the stream ended): nothing more
        /// can be written.
        public static let connectionClosed = Code(.connectionClosed)
        /// The configuration cannot be used (unreadable PEM, key not matching certificate, bad ALPN name...).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The engine was used in a way its contract forbids (e.g. writing after close).
        public static let misuse = Code(.misuse)
        /// OpenSSL failed in a way that says nothing about the peer (allocation, internal error).
        public static let `internal` = Code(.internal)

        /// The code's name, e.g. `hostnameMismatch`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence saying what failed, for logs and error messages.
    public let detail: String
    /// OpenSSL's error queue at the time of the failure, oldest first (may be empty).
    public let openSSLErrors: [String]
    /// The DNS names and IP addresses the peer's leaf certificate carries (subject alternative names,
    /// then the subject common name), when a certificate was involved.
    public let namesSeen: [String]
    /// The host name or address we expected the certificate to cover, for hostname failures.
    public let expectedName: String?
    /// OpenSSL's X509_V_ERR_* verification result when certificate verification failed.
    public let verificationResult: Int?
    /// The alert description the peer sent (RFC 8446 §6), when the failure is the peer's fatal alert.
    public let peerAlert: UInt8?

    /// Creates an error; the protocol layer uses this for `.truncated` and the driver for `.handshakeTimeout`.
    public init(
        code: Code, detail: String, openSSLErrors: [String] = [], namesSeen: [String] = [],
        expectedName: String? = nil, verificationResult: Int? = nil, peerAlert: UInt8? = nil
    ) {
        self.code = code
        self.detail = detail
        self.openSSLErrors = openSSLErrors
        self.namesSeen = namesSeen
        self.expectedName = expectedName
        self.verificationResult = verificationResult
        self.peerAlert = peerAlert
    }

    /// Whether the peer's identity could not be established (untrusted, expired, not yet valid,
    /// wrong name, pin mismatch): retrying the same peer will not help.
    public var isCertificateFailure: Bool {
        [.untrustedCertificate, .certificateExpired, .certificateNotYetValid, .hostnameMismatch, .pinningFailed]
            .contains(code)
    }

    /// Whether the connection ended early (closed during the handshake or truncated).
    public var isPrematureClose: Bool { code == .closedDuringHandshake || code == .truncated }

    /// The code, the detail, the names involved and OpenSSL's own words.
    public var description: String {
        var text = "TLS \(code): \(detail)"
        // A hostname mismatch's detail already names both sides.
        if code != .hostnameMismatch && !namesSeen.isEmpty {
            text += " (certificate names: \(namesSeen.joined(separator: ", ")))"
        }
        if !openSSLErrors.isEmpty { text += " [OpenSSL: \(openSSLErrors.joined(separator: "; "))]" }
        return text
    }
}
