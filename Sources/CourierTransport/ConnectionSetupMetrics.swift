import CourierCore
import CourierReactor
import CourierTLS

/// How a connection was set up: when each phase ran (monotonic clock) and what was negotiated. Collected
/// by `ClientConnectionFactory` only when `collectsTimings` is on (no clock reads otherwise), attached to the
/// connection, and handed to the first request that uses it.
public struct ConnectionSetupMetrics: Sendable, Hashable {
    /// The origin the connection serves.
    public var origin: Origin
    /// The connection's identifier.
    public var connectionID: UInt64 = 0
    /// HTTP/1.1 or HTTP/2.
    public var protocolVersion: HTTPProtocolVersion = .http1_1
    /// When setting up began.
    public var start: Timestamp
    /// Name resolution (of the proxy when there is one; nil for a Unix socket).
    public var domainLookupStart: Timestamp?
    /// Name resolution ended.
    public var domainLookupEnd: Timestamp?
    /// TCP connect began (after resolution).
    public var connectStart: Timestamp?
    /// TCP connect ended (the Happy Eyeballs race won).
    public var connectEnd: Timestamp?
    /// The `CONNECT` exchange with a proxy began.
    public var proxyTunnelStart: Timestamp?
    /// The proxy opened the tunnel.
    public var proxyTunnelEnd: Timestamp?
    /// The TLS handshake began.
    public var tlsStart: Timestamp?
    /// The TLS handshake ended.
    public var tlsEnd: Timestamp?
    /// The address connected to (the proxy's, through a proxy).
    public var remoteAddress: SocketAddress?
    /// The TLS version negotiated.
    public var tlsVersion: TLSVersion?
    /// The TLS cipher suite negotiated.
    public var tlsCipherSuite: String?
    /// The ALPN protocol agreed on.
    public var applicationProtocol: String?
    /// Whether a TLS session was resumed.
    public var tlsSessionReused = false
    /// The server's certificate.
    public var peerCertificate: TLSCertificateInfo?

    /// Starts a record at `start`.
    public init(origin: Origin, start: Timestamp) {
        self.origin = origin
        self.start = start
    }
}

/// Records setup phases as they happen, shared with the timing resolver wrapper.
final class ConnectionSetupRecorder: Sendable {
    let metrics: Locked<ConnectionSetupMetrics>

    init(origin: Origin) {
        metrics = Locked(ConnectionSetupMetrics(origin: origin, start: SystemClock.now()))
    }

    func record(_ update: (inout ConnectionSetupMetrics, Timestamp) -> Void) {
        let now = SystemClock.now()
        metrics.withLock { update(&$0, now) }
    }

    func recordTLS(_ stream: TLSByteStream) {
        let engine = stream.engine
        let now = SystemClock.now()
        // The engine is read on its loop (the factory runs there) right after the handshake.
        let (version, cipher, alpn, reused, certificate) = (engine.negotiatedVersion, engine.cipherSuite, engine.negotiatedALPN,
                                                            engine.isSessionReused, engine.peerCertificate)
        metrics.withLock {
            $0.tlsEnd = now
            $0.tlsVersion = version
            $0.tlsCipherSuite = cipher
            $0.applicationProtocol = alpn
            $0.tlsSessionReused = reused
            $0.peerCertificate = certificate
        }
    }

    var snapshot: ConnectionSetupMetrics { metrics.withLock { $0 } }
}

/// Wraps a resolver to time the lookup of one connection.
struct TimingResolver: Resolver {
    let inner: any Resolver
    let recorder: ConnectionSetupRecorder

    func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress] {
        recorder.record { metrics, now in metrics.domainLookupStart = now }
        defer { recorder.record { metrics, now in metrics.domainLookupEnd = now; metrics.connectStart = now } }
        return try await inner.resolve(host: host, port: port)
    }
}
