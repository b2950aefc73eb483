import CourierCore
import CourierReactor
import CourierTLS
import CourierTransport
import CourierHTTP2
import CourierPool
import Synchronization

/// An HTTP/1.1 and HTTP/2 client. Create one per application (or use `HTTPClient.shared`) and share it: it
/// keeps pools of connections per origin. Requests and responses are swift-http-types values; bodies stream.
///
/// Requests run on the event loop of the connection that carries them: a caller already on that loop pays no
/// thread hop. Call `shutdown()` when done with a client you created.
public final class HTTPClient: Sendable {
    /// The configuration this client was created with.
    public let configuration: Configuration
    /// The loops connections run on.
    public let eventLoopGroup: EventLoopGroup
    let pools: ConnectionPools
    let transport: ClientConnectionFactory
    /// Proxy, observers and other features, prepared from the configuration (HTTPClient+Features.swift).
    let features: ClientFeatures
    /// Compiled on the first `https` request: a client that only speaks cleartext never loads OpenSSL.
    private let tlsContext: LazyTLSClientContext
    /// The origin the last request went to (see `resolvedOrigin`).
    private let lastOrigin = Locked<ResolvedOrigin?>(nil)

    /// A process-wide client with the default configuration on the shared loops; never shut down.
    public static let shared = HTTPClient()

    /// Creates a client. A TLS configuration that cannot be loaded (a missing CA file, say) makes every
    /// `https` request fail with `tlsFailed` explaining why (it is compiled at the first `https` request).
    public init(configuration: Configuration = Configuration(), eventLoopGroup: EventLoopGroup = .shared) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        features = ClientFeatures(configuration: configuration)
        var tls = configuration.tls
        tls.applicationProtocols = ClientConnectionFactory.applicationProtocols(for: configuration.httpVersion)
        tls.handshakeTimeout = configuration.timeouts.tlsHandshake
        let context = LazyTLSClientContext(configuration: tls, sessionCache: TLSSessionCache())
        tlsContext = context
        var socket = SocketOptions()
        socket.keepAliveIdle = configuration.tcpKeepAlive
        var http1 = HTTP1ConnectionConfiguration()
        http1.limits.maxHeadSize = configuration.limits.maximumResponseHeaderBytes
        http1.limits.maxFieldCount = configuration.limits.maximumResponseHeaderCount
        http1.readTimeout = configuration.timeouts.read
        http1.responseBufferHighWatermark = configuration.limits.responseBufferSize
        var http2 = HTTP2Configuration()
        http2.maxHeaderListSize = configuration.limits.maximumResponseHeaderBytes
        http2.initialWindowSize = configuration.limits.responseBufferSize
        http2.connectionWindowSize = max(configuration.limits.responseBufferSize * 4, 4 << 20)
        if let interval = configuration.pool.http2PingInterval {
            http2.keepAlive = .init(interval: interval, timeout: configuration.pool.http2PingTimeout)
        }
        var factory = ClientConnectionFactory(
            connectTimeout: configuration.timeouts.connect, socketOptions: socket, resolver: configuration.resolver,
            versionPolicy: configuration.httpVersion, tls: context, tlsHandshakeTimeout: configuration.timeouts.tlsHandshake,
            http1: http1, http2: http2)
        factory.http2ReadTimeout = configuration.timeouts.read
        features.configure(&factory)
        transport = factory
        var pool = ConnectionPoolConfiguration()
        pool.maximumConnectionsPerOrigin = configuration.pool.maximumConnectionsPerHost
        pool.maximumHTTP2ConnectionsPerOrigin = configuration.pool.maximumHTTP2ConnectionsPerHost
        pool.maximumPendingRequests = configuration.pool.maximumPendingRequests
        pool.acquireTimeout = configuration.timeouts.poolAcquire
        pool.idleTimeout = configuration.pool.idleTimeout
        pool.maximumConnectionAge = configuration.pool.maximumConnectionAge
        switch configuration.httpVersion {
        case .automatic: pool.preferredProtocol = .automatic
        case .http1Only: pool.preferredProtocol = .http1Only
        case .http2PriorKnowledge: pool.preferredProtocol = .http2PriorKnowledge
        }
        pools = ConnectionPools(configuration: pool, factory: transport, group: eventLoopGroup,
                                statisticsObserver: features.poolStatisticsObserver,
                                maximumConnections: configuration.pool.maximumConnections)
        if let warning = TLSClientContext.securityWarning(for: tls) { Self.warn(warning) }
    }

    /// Fails requests waiting for a connection, closes idle connections, and closes busy ones when their
    /// exchanges end. Requests made afterwards fail with `shutdown`.
    public func shutdown() async {
        await pools.shutdown()
    }

    /// Opens connections to `url`'s origin before the first request needs them (TCP, TLS and ALPN done), so
    /// latency-sensitive first requests do not pay for the set-up. Up to `connections` (at most the pool's
    /// per-host limit) over HTTP/1.1; HTTP/2 needs one. They wait idle in the pool under its idle timeout.
    /// Does nothing with the mock transport.
    public func prewarm(_ url: String, connections: Int = 1) async throws(HTTPClientError) {
        guard case .network = configuration.transport else { return }
        let request = try Self.request(.get, url)
        let origin = try resolvedOrigin(scheme: request.scheme ?? "none", authority: request.authority ?? "")
        if origin.scheme == .https { try checkTLS() }
        guard let pool = pools.pool(for: origin) else { throw HTTPClientError(.shutdown, "the client was shut down") }
        let count = max(1, min(connections, configuration.pool.maximumConnectionsPerHost))
        // Every connection is held until all are open, so that each acquire opens a new one.
        let results = await withTaskGroup(of: Result<any ClientConnection, PoolError>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do throws(PoolError) { return .success(try await pool.acquire(preferredLoop: nil)) } catch { return .failure(error) }
                }
            }
            var results: [Result<any ClientConnection, PoolError>] = []
            for await result in group { results.append(result) }
            return results
        }
        var failure: PoolError?
        for result in results {
            switch result {
            case .success(let connection): pool.releaseUnused(connection)
            case .failure(let error): failure = failure ?? error
            }
        }
        if let failure { throw HTTPClientError(pool: failure, origin: origin) }
    }

    /// Sends `request` (scheme and authority name the origin) with `body`, and returns the response once its
    /// head arrived; the body streams after. `timeout` bounds the whole exchange, body included (it overrides
    /// the configuration's total timeout). Cancelling the calling task cancels the request. Runs in the
    /// caller's isolation (no executor switch) until the exchange, which runs on the connection's event loop.
    public nonisolated(nonsending) func execute(
        _ request: consuming HTTPRequest, body: consuming HTTPClientRequestBody? = nil, timeout: Duration? = nil
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(HTTPClientRequest(head: consume request, body: consume body, timeout: timeout))
    }

    /// Sends a request through the client's features (redirects, cookies, decompression; see
    /// `HTTPClient+Features.swift`), the middleware chain and the transport, in the caller's isolation until
    /// the exchange, which runs on the connection's event loop.
    public nonisolated(nonsending) func execute(_ request: consuming HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        try await executeWithFeatures(request)
    }

    /// One hop of a request through the middleware chain, with the per-hop features at its bottom.
    nonisolated(nonsending) func executeHop(_ request: consuming HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let middleware = configuration.middleware
        if middleware.isEmpty { return try await executeFeaturesAndTransport(request) }
        if middleware.count == 1 {
            // One middleware (a resilience pipeline, say) is called directly: no closure for it per request.
            return try await middleware[0].execute(request, next: HTTPClientNext { [self] (request) async throws(HTTPClientError) in
                try await executeFeaturesAndTransport(request)
            })
        }
        return try await Self.chain(middleware[...], bottom: HTTPClientNext { [self] (request) async throws(HTTPClientError) in
            try await executeFeaturesAndTransport(request)
        })(request)
    }

    private static func chain(_ middleware: ArraySlice<any HTTPClientMiddleware>, bottom: HTTPClientNext) -> HTTPClientNext {
        guard let first = middleware.first else { return bottom }
        let rest = chain(middleware.dropFirst(), bottom: bottom)
        return HTTPClientNext { (request) async throws(HTTPClientError) in try await first.execute(request, next: rest) }
    }

    nonisolated(nonsending) func bottom(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        switch configuration.transport {
        case .network: return try await send(request)
        case .mock(let answer):
            var response: HTTPClientResponse
            do {
                response = try await answer(request)
            } catch {
                throw HTTPClientError(mapping: error)
            }
            // A response to HEAD has no content (RFC 9110 §9.3.2), whatever a mock handler returned: the same
            // as from the network, where the exchange never reads one.
            if request.head.method == .head && !response.body.isKnownEmpty {
                response.body.cancel()
                response.body = .empty
            }
            return response
        }
    }

    /// The network executor: a pooled connection, the exchange, and the retries that cannot duplicate effects.
    private nonisolated(nonsending) func send(_ clientRequest: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = clientRequest.head
        let body = clientRequest.body
        let origin = try resolvedOrigin(scheme: request.scheme ?? "none", authority: request.authority ?? "")
        if origin.unixSocketPath != nil {
            // On the wire: a plain scheme, and a Host the server can accept.
            request.scheme = origin.scheme.rawValue
            request.authority = origin.host
        }
        if origin.scheme == .https { try checkTLS() }
        let deadline = (clientRequest.timeout ?? configuration.timeouts.total).map { SystemClock.now() + $0 }
        let headDeadline = clientRequest.responseHeadDeadline
        var attempt = 0
        while true {
            attempt += 1
            if let headDeadline, SystemClock.now() >= headDeadline {
                throw HTTPClientError(.deadlineExceeded, "the response head's deadline passed before the request was sent",
                                      isSafeToRetry: true)
            }
            guard let pool = pools.pool(for: origin) else {
                throw HTTPClientError(.shutdown, "the client was shut down")
            }
            let connection: any ClientConnection
            do {
                connection = try await pool.acquire(preferredLoop: EventLoop.current, deadline: headDeadline)
            } catch {
                if error.isAcquireTimeout, let headDeadline, SystemClock.now() >= headDeadline {
                    throw HTTPClientError(.deadlineExceeded, "no connection to \(origin) became available before the response head's deadline",
                                          underlying: error, isSafeToRetry: true)
                }
                throw HTTPClientError(pool: error, origin: origin)
            }
            clientRequest.observation?.connectionAcquired(connection, origin: origin)
            do {
                return try await RequestExecution(request: request, body: body, deadline: deadline, headDeadline: headDeadline,
                                                  expectContinueTimeout: configuration.timeouts.expectContinue,
                                                  observation: clientRequest.observation)
                    .run(on: connection, pool: pool)
            } catch {
                if error.underlying is ResponseHeadDeadlinePassed {
                    throw HTTPClientError(.deadlineExceeded, error.message, underlying: error, isSafeToRetry: error.requestNotProcessed)
                }
                if attempt < 3, Self.canRetry(clientRequest, after: error) { continue }
                throw HTTPClientError(transport: error)
            }
        }
    }

    /// The origin of a request's scheme and authority with its proxy chosen. The last one resolved is kept:
    /// a client mostly sends to one origin after another, and comparing two short strings costs far less than
    /// parsing the authority and matching the proxy rules again.
    private func resolvedOrigin(scheme: String, authority: String) throws(HTTPClientError) -> Origin {
        if let origin = lastOrigin.withLock({ $0?.origin(scheme: scheme, authority: authority) }) { return origin }
        var origin = try Self.origin(scheme: scheme, authority: authority)
        origin.proxy = try features.proxy.endpoint(for: origin)
        let resolved = ResolvedOrigin(scheme: scheme, authority: authority, value: origin)
        lastOrigin.withLock { $0 = resolved }
        return origin
    }

    /// Fails with `tlsFailed` when the TLS configuration cannot be compiled (compiling it the first time).
    private func checkTLS() throws(HTTPClientError) {
        do {
            _ = try tlsContext.context()
        } catch {
            throw HTTPClientError(.tlsFailed, "the TLS configuration cannot be used: \(error)", underlying: error)
        }
    }

    /// Retries the pool cannot make itself but that cannot duplicate a side effect: the request never reached
    /// the server's application, or an idempotent request met a reused connection the server had closed.
    static func canRetry(_ request: HTTPClientRequest, after error: TransportError) -> Bool {
        if error.underlying is ExchangeNotStarted { return true }
        guard request.body?.isReplayable ?? true else { return false }
        if error.requestNotProcessed { return true }
        return error.staleConnection && (request.head.method.isIdempotent || request.options.retryableDespiteMethod)
    }

    /// The origin for a scheme (`http`, `https`, or either with `+unix`, any case) and an authority (for
    /// `+unix`, the socket's percent-encoded path). Computed whenever a request's origin differs from the
    /// last one: the common spellings are compared before anything is lowercased.
    static func origin(scheme schemeText: String, authority: String) throws(HTTPClientError) -> Origin {
        let scheme: Origin.Scheme
        var unix = false
        if schemeText == "https" {
            scheme = .https
        } else if schemeText == "http" {
            scheme = .http
        } else {
            let lowercased = schemeText.lowercased()
            unix = lowercased.hasSuffix("+unix")
            guard let parsed = Origin.Scheme(rawValue: unix ? String(lowercased.dropLast(5)) : lowercased) else {
                throw HTTPClientError(.invalidRequest, "the request's scheme must be http or https (or with +unix), not \(schemeText)")
            }
            scheme = parsed
        }
        guard !authority.isEmpty else {
            throw HTTPClientError(.invalidRequest, "the request has no authority (host)")
        }
        if unix {
            guard let path = PercentDecoding.decode(authority), path.hasPrefix("/"), !path.utf8.contains(0) else {
                throw HTTPClientError(.invalidRequest, "\(authority) is not a percent-encoded absolute socket path")
            }
            return Origin(scheme: scheme, host: "localhost", unixSocketPath: path)
        }
        let (host, port) = try Self.splitAuthority(authority)
        return Origin(scheme: scheme, host: host, port: port)
    }

    /// Host and port of an authority (`user@host:port`, `[v6]:port`), scanned as UTF-8 bytes: every delimiter
    /// is ASCII. The port is decimal digits only.
    static func splitAuthority(_ authority: String) throws(HTTPClientError) -> (host: String, port: Int?) {
        var text = authority
        text.makeContiguousUTF8()
        switch text.utf8.withContiguousStorageIfAvailable(Self.parseAuthority) ?? .invalid("invalid authority") {
        case .parsed(let host, let port): return (host, port)
        case .invalid(let problem): throw HTTPClientError(.invalidRequest, "\(problem) in \(authority)")
        }
    }

    private enum ParsedAuthority {
        case parsed(host: String, port: Int?)
        case invalid(String)
    }

    private static func parseAuthority(_ bytes: UnsafeBufferPointer<UInt8>) -> ParsedAuthority {
        var start = 0
        var end = bytes.count
        var portStart: Int?
        if let at = bytes.lastIndex(of: UInt8(ascii: "@")) { start = at + 1 }
        if start < end && bytes[start] == UInt8(ascii: "[") {
            guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "]")) else { return .invalid("unterminated IPv6 literal") }
            if close + 1 < bytes.count {
                guard bytes[close + 1] == UInt8(ascii: ":") else { return .invalid("unexpected text after the IPv6 literal") }
                portStart = close + 2
            }
            start += 1
            end = close
        } else if let colon = bytes[start...].lastIndex(of: UInt8(ascii: ":")) {
            portStart = colon + 1
            end = colon
        }
        let host = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard !host.isEmpty, !host.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: " ") || $0 == 13 || $0 == 10 }) else {
            return .invalid("invalid host")
        }
        let hostText = String(decoding: host, as: UTF8.self)
        guard let portStart, portStart < bytes.count else { return .parsed(host: hostText, port: nil) }
        var port = 0
        for byte in bytes[portStart...] {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10, port <= 65535 else { return .invalid("invalid port") }
            port = port * 10 + Int(digit)
        }
        guard (1...65535).contains(port) else { return .invalid("invalid port") }
        return .parsed(host: hostText, port: port)
    }

    /// A scheme and authority as a request spelled them, and the origin they resolved to.
    private struct ResolvedOrigin: Sendable {
        let scheme: String
        let authority: String
        let value: Origin

        func origin(scheme: String, authority: String) -> Origin? {
            authority == self.authority && scheme == self.scheme ? value : nil
        }
    }

    private static func warn(_ message: String) {
        HTTPClientLogging.logger.warning("\(message)")
    }
}

extension HTTPRequest.Method {
    /// GET, HEAD, OPTIONS, TRACE, PUT and DELETE (RFC 9110 §9.2.2): sending one twice has the effect of once.
    public var isIdempotent: Bool {
        switch self {
        case .get, .head, .options, .trace, .put, .delete: true
        default: false
        }
    }
}

extension HTTPClientError {
    init(pool error: PoolError, origin: Origin) {
        switch error.code {
        case .tooManyPendingRequests:
            self.init(.limitExceeded, "too many requests are waiting for a connection to \(origin)", underlying: error, isSafeToRetry: true)
        case .acquireTimeout:
            self.init(.poolAcquireTimeout, "no connection to \(origin) became available in time", underlying: error, isSafeToRetry: true)
        case .shutdown:
            self.init(.shutdown, "the client was shut down", underlying: error, isSafeToRetry: true)
        case .cancelled:
            self.init(.cancelled, "the request was cancelled while waiting for a connection", underlying: error, isSafeToRetry: true)
        default:
            if let transport = error.underlying as? TransportError {
                let mapped = HTTPClientError(transport: transport)
                self.init(mapped.code, mapped.message, underlying: mapped.underlying, isSafeToRetry: true)
            } else {
                self.init(.connectFailed, "cannot connect to \(origin): \(error)", underlying: error, isSafeToRetry: true)
            }
        }
    }
}
