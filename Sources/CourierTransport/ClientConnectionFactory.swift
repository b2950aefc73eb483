import CourierCore
import CourierReactor
import CourierTLS
import CourierHTTP2

/// Which HTTP versions a client may use.
public enum HTTPVersionPolicy: Sendable, Hashable {
    /// HTTP/2 when TLS ALPN agrees on it, otherwise HTTP/1.1 (cleartext is always HTTP/1.1).
    case automatic
    /// HTTP/1.1 only (ALPN offers only `http/1.1`).
    case http1Only
    /// HTTP/2 without negotiation: h2c with prior knowledge on cleartext, `h2` only in ALPN over TLS.
    case http2PriorKnowledge
}

/// Opens client connections: resolve and connect (Happy Eyeballs), TLS with ALPN, then the HTTP/1.1 or
/// HTTP/2 driver the protocol calls for.
public struct ClientConnectionFactory: Sendable {
    /// Bounds the TCP connect (the whole Happy Eyeballs race).
    public var connectTimeout: Duration
    /// Socket options for new connections.
    public var socketOptions: SocketOptions
    /// Name resolution.
    public var resolver: any Resolver
    /// Which HTTP versions to use.
    public var versionPolicy: HTTPVersionPolicy
    /// TLS for `https` origins (ALPN is set from `versionPolicy`), compiled when the first one connects.
    public var tls: LazyTLSClientContext?
    /// TLS handshake deadline.
    public var tlsHandshakeTimeout: Duration
    /// HTTP/1.1 driver settings.
    public var http1: HTTP1ConnectionConfiguration
    /// HTTP/2 settings and limits.
    public var http2: HTTP2Configuration
    /// How long an HTTP/2 stream may stay silent (see `HTTP2ClientConnection`); nil: no limit.
    public var http2ReadTimeout: Duration? = .seconds(60)
    /// Record each connection's setup phases (`ConnectionSetupMetrics`), attach them to the connection, and
    /// report them to `onConnectionSetup`. Off: no clock is read.
    public var collectsTimings = false
    /// Hears every connection set up while `collectsTimings` is on (for metrics), on the connection's loop.
    public var onConnectionSetup: (@Sendable (ConnectionSetupMetrics) -> Void)?

    /// Creates a factory.
    public init(connectTimeout: Duration = .seconds(10), socketOptions: SocketOptions = SocketOptions(),
                resolver: any Resolver = SystemResolver.shared, versionPolicy: HTTPVersionPolicy = .automatic,
                tls: LazyTLSClientContext?, tlsHandshakeTimeout: Duration = .seconds(10),
                http1: HTTP1ConnectionConfiguration = HTTP1ConnectionConfiguration(),
                http2: HTTP2Configuration = HTTP2Configuration()) {
        self.connectTimeout = connectTimeout
        self.socketOptions = socketOptions
        self.resolver = resolver
        self.versionPolicy = versionPolicy
        self.tls = tls
        self.tlsHandshakeTimeout = tlsHandshakeTimeout
        self.http1 = http1
        self.http2 = http2
    }

    /// The ALPN list a TLS context for `policy` should offer.
    public static func applicationProtocols(for policy: HTTPVersionPolicy) -> [String] {
        switch policy {
        case .automatic: ["h2", "http/1.1"]
        case .http1Only: ["http/1.1"]
        case .http2PriorKnowledge: ["h2"]
        }
    }

    /// Connects to `origin` from `loop` and returns a ready connection. Must run on `loop`
    /// (a task with `loop` as executor preference).
    public func connect(to origin: Origin, on loop: EventLoop) async throws(TransportError) -> any ClientConnection {
        guard collectsTimings else { return try await establish(origin, on: loop, recorder: nil) }
        let recorder = ConnectionSetupRecorder(origin: origin)
        let connection = try await establish(origin, on: loop, recorder: recorder)
        var metrics = recorder.snapshot
        metrics.connectionID = connection.connectionID
        metrics.protocolVersion = connection.protocolVersion
        connection.attachSetupMetrics(metrics)
        onConnectionSetup?(metrics)
        return connection
    }

    private func establish(_ origin: Origin, on loop: EventLoop,
                           recorder: ConnectionSetupRecorder?) async throws(TransportError) -> any ClientConnection {
        let resolver: any Resolver = recorder.map { TimingResolver(inner: self.resolver, recorder: $0) } ?? self.resolver
        let connection: StreamConnection
        do {
            if let path = origin.unixSocketPath {
                connection = try await StreamConnection.connect(to: .unix(path: path), on: loop, options: socketOptions,
                                                                timeout: connectTimeout)
            } else if let proxy = origin.proxy {
                connection = try await StreamConnection.connect(host: proxy.host, port: proxy.port, on: loop,
                                                                resolver: resolver, options: socketOptions,
                                                                timeout: connectTimeout)
            } else {
                connection = try await StreamConnection.connect(host: origin.host, port: origin.port, on: loop,
                                                                resolver: resolver, options: socketOptions,
                                                                timeout: connectTimeout)
            }
            if let recorder {
                let address = connection.remoteAddress
                recorder.record { metrics, now in
                    metrics.connectEnd = now
                    if metrics.connectStart == nil { metrics.connectStart = metrics.start }
                    metrics.remoteAddress = address
                }
            }
        } catch {
            if let proxy = origin.proxy {
                let failure = TransportError(error, requestNotProcessed: true)
                throw TransportError(failure.code, "cannot reach the proxy \(proxy): \(failure.message)", underlying: error,
                                     requestNotProcessed: true)
            }
            throw TransportError(error, requestNotProcessed: true)
        }
        switch origin.scheme {
        case .http:
            let stream = PlainByteStream(connection)
            if let proxy = origin.proxy, origin.unixSocketPath == nil {
                // Forwarding proxies speak HTTP/1.1: requests go in absolute form on this connection.
                var forwarding = http1
                forwarding.forwardingProxy = .init(targetPrefix: "http://\(origin.authority)", authorization: proxy.authorization)
                return HTTP1ClientConnection(stream: stream, configuration: forwarding)
            }
            if versionPolicy == .http2PriorKnowledge {
                return try await makeHTTP2(stream)
            }
            return HTTP1ClientConnection(stream: stream, configuration: http1)
        case .https:
            let tls: TLSClientContext
            do {
                guard let lazy = self.tls else {
                    throw TLSError(code: .invalidConfiguration, detail: "no TLS configuration for \(origin)")
                }
                tls = try lazy.context()
            } catch {
                loop.execute { connection.close() }
                throw TransportError(.tlsFailed, "the TLS configuration cannot be used: \(error)", underlying: error,
                                     requestNotProcessed: true)
            }
            if let proxy = origin.proxy, origin.unixSocketPath == nil {
                recorder?.record { metrics, now in metrics.proxyTunnelStart = now }
                try await ProxyTunnel.open(over: connection, to: origin, proxy: proxy, limits: http1.limits,
                                           timeout: connectTimeout)
                recorder?.record { metrics, now in metrics.proxyTunnelEnd = now }
            }
            recorder?.record { metrics, now in metrics.tlsStart = now }
            let stream: TLSByteStream
            do {
                stream = try await TLSByteStream.connect(over: connection, context: tls, serverHostname: origin.host,
                                                         port: origin.port, timeout: tlsHandshakeTimeout)
            } catch {
                throw TransportError(error.code, error.message, underlying: error.underlying, requestNotProcessed: true)
            }
            recorder?.recordTLS(stream)
            switch stream.negotiatedApplicationProtocol {
            case "h2"?:
                return try await makeHTTP2(stream)
            default:
                if versionPolicy == .http2PriorKnowledge {
                    stream.close(error: nil)
                    throw TransportError(.tlsFailed, "the server did not agree to HTTP/2 in ALPN", requestNotProcessed: true)
                }
                return HTTP1ClientConnection(stream: stream, configuration: http1)
            }
        }
    }

    /// Starts HTTP/2 and waits for the server's SETTINGS, so the pool learns its stream limit up front.
    private func makeHTTP2(_ stream: any ByteStream) async throws(TransportError) -> any ClientConnection {
        let connection = HTTP2ClientConnection(stream: stream, configuration: http2, readTimeout: http2ReadTimeout)
        await connection.waitForSettings()
        guard connection.isAvailable else {
            if let failure = connection.failure {
                // Nothing was sent yet: the request may go elsewhere, and the error says what the server did.
                throw TransportError(failure.code, "before the server's SETTINGS: \(failure.message)",
                                     underlying: failure.underlying ?? failure, requestNotProcessed: true)
            }
            throw TransportError(.connectionClosed, "the server closed the HTTP/2 connection before its SETTINGS",
                                 requestNotProcessed: true)
        }
        return connection
    }
}
