import CourierCore
import CourierReactor
import CourierTLS
import Dispatch
import HTTPTypes
import Synchronization

/// An in-process HTTP server for tests: it binds a free loopback port, answers requests with route
/// handlers (async closures), misbehaves on request (`TestFault`), and records what it received.
///
/// ```swift
/// let server = try await TestServer.start()
/// server.route(.post, "/items") { request in
///     let body = try await request.body.collect()
///     return .json("{\"received\":\(body.readableBytes)}", status: .created)
/// }
/// server.injectFaults([.reset()], path: "/items")          // the next POST /items is reset
/// // ... run the client against server.baseURL ...
/// #expect(server.recorder.requestCount(path: "/items") == 2)
/// await server.shutdown()
/// ```
///
/// Serves HTTP/1.1 and HTTP/2 over cleartext (HTTP/2 with prior knowledge) or TLS (ALPN; a generated CA
/// and localhost certificate). Connections run on the server's event loops; handlers run as tasks on their
/// connection's loop.
public final class TestServer: Sendable {
    /// The configuration it was started with.
    public let configuration: Configuration
    /// The address it listens on (with the real port).
    public let localAddress: SocketAddress
    /// The port it listens on (0 for a Unix socket).
    public let port: Int
    /// `http://127.0.0.1:PORT`, `http://[::1]:PORT`, `https://localhost:PORT`, or `http://localhost` for a
    /// Unix socket; no trailing slash.
    public let baseURL: String
    /// The CA that issued the server certificate (TLS with a generated or given CA), for clients to trust.
    public let certificateAuthority: TLSCertificateAuthority?
    /// What the server received.
    public let recorder: TestServerRecorder
    /// The loops the server runs on.
    public let eventLoopGroup: EventLoopGroup
    private let ownsGroup: Bool
    private let listener: Listener
    private let context: ServerContext
    private let stopped = Atomic<Bool>(false)

    /// Trust roots containing the server's CA (nil without TLS or without a known CA).
    public var trustRoots: TLSTrustRoots? { certificateAuthority?.trustRoots }

    /// The server CA certificate as PEM (for `curl --cacert`, say), nil without TLS.
    public var caCertificatePEM: String? { certificateAuthority?.certificatePEM }

    private init(configuration: Configuration, localAddress: SocketAddress, certificateAuthority: TLSCertificateAuthority?,
                 eventLoopGroup: EventLoopGroup, ownsGroup: Bool, listener: Listener, context: ServerContext) {
        self.configuration = configuration
        self.localAddress = localAddress
        self.port = localAddress.port ?? 0
        self.certificateAuthority = certificateAuthority
        self.recorder = context.recorder
        self.eventLoopGroup = eventLoopGroup
        self.ownsGroup = ownsGroup
        self.listener = listener
        self.context = context
        let scheme = configuration.tls == nil ? "http" : "https"
        switch localAddress {
        case .unix: baseURL = "\(scheme)://localhost"
        case .ipv6 where configuration.tls == nil: baseURL = "\(scheme)://[::1]:\(port)"
        case .ipv4 where configuration.tls == nil: baseURL = "\(scheme)://127.0.0.1:\(port)"
        case .ipv4, .ipv6: baseURL = "\(scheme)://localhost:\(port)"
        }
    }

    deinit {
        // Dropped without `shutdown()`: stop listening and release the loops without waiting.
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        listener.close()
        let context = self.context
        let group = ownsGroup ? eventLoopGroup : nil
        Task {
            await context.closeAll()
            await group?.shutdown()
        }
    }

    /// Starts a server: binds (port 0 picks a free port), generates TLS material if needed, installs the
    /// built-in routes, and accepts connections.
    public static func start(_ configuration: Configuration = Configuration()) async throws -> TestServer {
        var authority: TLSCertificateAuthority?
        var tlsContext: TLSServerContext?
        if let tls = configuration.tls {
            do {
                let keyPair: TLSCertificateKeyPair
                if let certificate = tls.certificate {
                    authority = tls.certificateAuthority
                    keyPair = certificate
                } else {
                    let issuer = try tls.certificateAuthority ?? TLSCertificateAuthority(commonName: "Courier Test Server CA")
                    authority = issuer
                    keyPair = try issuer.issueLocalhost().keyPair
                }
                var serverConfiguration = TLSServerConfiguration(certificate: keyPair)
                serverConfiguration.minimumVersion = tls.minimumVersion
                serverConfiguration.maximumVersion = tls.maximumVersion
                serverConfiguration.applicationProtocols = tls.applicationProtocols
                    ?? (configuration.servesHTTP2 ? ["h2", "http/1.1"] : ["http/1.1"])
                serverConfiguration.requireApplicationProtocolMatch = tls.requireApplicationProtocolMatch
                serverConfiguration.clientAuthentication = tls.clientAuthentication
                serverConfiguration.sessionResumption = tls.sessionResumption
                tlsContext = try TLSServerContext(configuration: serverConfiguration)
            } catch {
                throw TestServerError(.startFailed, "TLS setup failed: \(error)", underlying: error)
            }
        }
        let group: EventLoopGroup
        let ownsGroup = configuration.eventLoopGroup == nil
        do {
            group = try configuration.eventLoopGroup ?? EventLoopGroup(loopCount: max(1, configuration.loopCount),
                                                                       name: "courier-test-server")
        } catch {
            throw TestServerError(.startFailed, "cannot start event loops: \(error)", underlying: error)
        }
        let context = ServerContext(configuration: configuration, tlsContext: tlsContext)
        if configuration.builtinRoutes {
            for route in BuiltinRoutes.all { context.router.add(route, builtin: true) }
        }
        let listener: Listener
        do {
            let address: SocketAddress
            switch configuration.bindTarget {
            case .loopbackIPv4: address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
            case .loopbackIPv6: address = try SocketAddress(ipAddress: "::1", port: 0)
            case .unixSocket(let path): address = .unix(path: path)
            case .address(let given): address = given
            }
            listener = try Listener.bind(to: address, on: group.next(), childLoops: group.loops) { socket in
                context.accept(socket)
            }
        } catch {
            if ownsGroup { await group.shutdown() }
            throw TestServerError(.startFailed, "cannot listen: \(error)", underlying: error)
        }
        return TestServer(configuration: configuration, localAddress: listener.localAddress,
                          certificateAuthority: authority, eventLoopGroup: group, ownsGroup: ownsGroup,
                          listener: listener, context: context)
    }

    /// Stops listening, closes every connection (handlers still running are cancelled) and, when the server
    /// owns its loops, shuts them down. Calling it again does nothing.
    public func shutdown() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        listener.close()
        await context.closeAll()
        if ownsGroup { await eventLoopGroup.shutdown() }
    }

    /// The absolute URL of `pathAndQuery` (which starts with `/`) on this server.
    public func url(_ pathAndQuery: String) -> String { baseURL + pathAndQuery }

    // MARK: - Routes

    /// Answers requests whose method is `method` (nil: any; `.get` also answers HEAD) and whose path
    /// matches `pattern` (`/items/:id`, `/files/*`) with `handler`, applying `faults` to every response.
    /// The most recently added matching route wins, so a test can override a route, even a built-in one.
    public func route(_ method: HTTPRequest.Method?, _ pattern: String, faults: [TestFault] = [],
                      _ handler: @escaping TestHandler) {
        context.router.add(TestRouter.Route(method: method, pattern: RoutePattern(pattern), faults: faults, handler: handler))
    }

    /// Answers every method on `pattern` with `handler`.
    public func route(_ pattern: String, faults: [TestFault] = [], _ handler: @escaping TestHandler) {
        route(nil, pattern, faults: faults, handler)
    }

    /// Answers requests no route matches (instead of 404), e.g. to route by hand.
    public func setFallback(_ handler: TestHandler?) {
        context.router.setFallback(handler)
    }

    /// Removes the routes and fallback added by the test and pending injections (built-ins stay).
    public func removeAllRoutes() {
        context.router.removeAllRoutes()
    }

    /// Applies `faults` to the responses of the next `count` requests matching `method` and `path` (nil:
    /// any), whatever route answers them; later requests are served normally. For "the first attempt
    /// fails, the retry succeeds" tests.
    public func injectFaults(_ faults: [TestFault], count: Int = 1, method: HTTPRequest.Method? = nil, path: String? = nil) {
        context.router.inject(TestRouter.Injection(method: method, path: path, remaining: count, action: .faults(faults)))
    }

    /// Answers the next `count` requests matching `method` and `path` (nil: any) with `response` instead of
    /// their route, e.g. two 503s with `Retry-After` before the real answer.
    public func injectResponse(_ response: TestResponse, count: Int = 1, method: HTTPRequest.Method? = nil, path: String? = nil) {
        context.router.inject(TestRouter.Injection(method: method, path: path, remaining: count, action: .response(response)))
    }

    // MARK: - Recording shortcuts

    /// The requests received so far (see `recorder` for counters and waiting).
    public var requests: [RecordedRequest] { recorder.requests }

    /// The requests received so far for `path` (without query).
    public func requests(path: String) -> [RecordedRequest] { recorder.requests(path: path) }
}
