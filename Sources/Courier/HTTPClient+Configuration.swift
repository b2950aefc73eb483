import CourierCore
import CourierReactor
import CourierTLS
import CourierTransport
import Logging

extension HTTPClient {
    /// How a client behaves: TLS, HTTP versions, pool limits, timeouts and limits. Every field has a
    /// production-safe default.
    public struct Configuration: Sendable {
        /// TLS for `https` (verification on, system trust store, TLS 1.2+, ALPN set from `httpVersion`).
        public var tls = TLSClientConfiguration()
        /// Which HTTP versions to use.
        public var httpVersion: HTTPVersionPolicy = .automatic
        /// Connection pool limits.
        public var pool = Pool()
        /// Timeouts.
        public var timeouts = Timeouts()
        /// Limits on what a server may send.
        public var limits = Limits()
        /// Name resolution (the system resolver with a 30 s cache by default).
        public var resolver: any Resolver = SystemResolver.shared
        /// TCP keep-alive probes on idle connections (nil = off).
        public var tcpKeepAlive: Duration? = nil
        /// Middleware around every request, outermost first.
        public var middleware: [any HTTPClientMiddleware] = []
        /// The bottom of the chain: the network, or a mock.
        public var transport: HTTPClient.Transport = .network

        // Client features (Docs/features.md).
        /// Following redirects (on, at most 10, never https → http).
        public var redirects = RedirectPolicy()
        /// Transparent gzip/deflate decoding with limits against bombs (on).
        public var decompression = Decompression()
        /// Cookies stored from responses and sent with later requests (nil: off, the default).
        public var cookieJar: CookieJar? = nil
        /// Forward proxies (none by default; `.environment` reads `HTTPS_PROXY` and friends).
        public var proxy: ProxyConfiguration = .none
        /// Hears each request's events and timings (nil: nobody, no cost).
        public var eventListener: (any HTTPClientEventListener)? = nil
        /// swift-metrics reporting (free until a backend is bootstrapped).
        public var metrics = Metrics()
        /// Where the client logs: security warnings, and at debug level each request's hops, connections
        /// and timings with a `courier.request` id in the metadata.
        public var logger = Logger(label: "courier")

        /// The defaults.
        public init() {}
    }

    /// Connection pool limits (per origin: scheme, host, port, and one across all origins).
    public struct Pool: Sendable, Hashable {
        /// Connections open at once across every origin (nil: no limit). When reached, a new connection
        /// waits for one to close, and an idle connection to another origin is closed to make room.
        public var maximumConnections: Int? = 512
        /// HTTP/1.1 connections kept per origin.
        public var maximumConnectionsPerHost = 8
        /// HTTP/2 connections per origin (another opens only when every one is at its stream limit).
        public var maximumHTTP2ConnectionsPerHost = 4
        /// Requests that may wait for a connection per origin; beyond, requests fail at once.
        public var maximumPendingRequests = 10_000
        /// Idle connections close after this long (below the usual server keep-alive timeouts).
        public var idleTimeout: Duration = .seconds(50)
        /// Connections older than this are not reused (nil: no limit).
        public var maximumConnectionAge: Duration? = nil
        /// HTTP/2: PING an idle connection this often to detect a dead peer (nil: never).
        public var http2PingInterval: Duration? = .seconds(30)
        /// HTTP/2: how long a keep-alive PING may wait for its ACK before the connection counts as dead.
        public var http2PingTimeout: Duration = .seconds(20)

        /// The defaults.
        public init() {}
    }

    /// Timeouts; nil disables one.
    public struct Timeouts: Sendable, Hashable {
        /// Establishing TCP (the whole Happy Eyeballs race).
        public var connect: Duration = .seconds(10)
        /// The TLS handshake.
        public var tlsHandshake: Duration = .seconds(10)
        /// Waiting for a pooled connection.
        public var poolAcquire: Duration? = .seconds(30)
        /// Silence while a request is in flight, per request (per stream on HTTP/2): no response bytes for
        /// this long fails it with `readTimeout`, or with `writeTimeout` when the server stopped taking the
        /// request body (full socket buffers, a window that never opens). A slow consumer does not count.
        public var read: Duration? = .seconds(60)
        /// The whole request including the response body (nil: none; a per-request timeout overrides it).
        public var total: Duration? = nil
        /// How long to wait for `100 Continue` before sending the body anyway.
        public var expectContinue: Duration = .seconds(1)

        /// The defaults.
        public init() {}
    }

    /// Limits on responses (requests are yours to bound).
    public struct Limits: Sendable, Hashable {
        /// Response head size (HTTP/1.1 bytes; HTTP/2 decoded header list size, RFC counting).
        public var maximumResponseHeaderBytes = 64 * 1024
        /// Response header fields.
        public var maximumResponseHeaderCount = 256
        /// Response bytes buffered before reading pauses for a slow consumer.
        public var responseBufferSize = 1 << 20

        /// The defaults.
        public init() {}
    }
}
