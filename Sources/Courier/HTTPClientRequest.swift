import CourierCore

/// A request as the client's middleware chain sees it: the head, the body, and per-request options.
public struct HTTPClientRequest: Sendable {
    /// Method, scheme, authority, path and header fields.
    public var head: HTTPRequest
    /// The body, if any. Middleware that sends a request again (retry, redirect) needs `isReplayable`.
    public var body: HTTPClientRequestBody?
    /// The whole exchange's time limit, response body included (nil: the configuration's total timeout).
    public var timeout: Duration?
    /// Per-request switches read by the client's features.
    public var options: Options
    /// When the response head must have arrived (a `SystemClock` time), or the attempt fails with
    /// `deadlineExceeded`: it bounds waiting for a connection, sending the request and waiting for the head,
    /// not reading the body (that is `timeout`'s job). Set by timeout and deadline middleware; nil: none.
    public var responseHeadDeadline: Timestamp?
    /// Follows the request for listeners, debug logs and metrics (nil unless one of them is on).
    var observation: RequestObservation?

    /// Creates a request.
    public init(head: HTTPRequest, body: HTTPClientRequestBody? = nil, timeout: Duration? = nil, options: Options = Options(),
                responseHeadDeadline: Timestamp? = nil) {
        self.head = head
        self.body = body
        self.timeout = timeout
        self.options = options
        self.responseHeadDeadline = responseHeadDeadline
    }

    /// Per-request options; nil fields fall back to the client's configuration.
    public struct Options: Sendable, Hashable {
        /// Follow redirects (nil: the configuration decides).
        public var followRedirects: Bool?
        /// Ask for and transparently decompress gzip/deflate bodies (nil: the configuration decides).
        public var decompressResponse: Bool?
        /// Treat the request as safe to retry even if its method is not idempotent (for example because it
        /// carries an `Idempotency-Key`).
        public var retryableDespiteMethod = false

        /// No overrides.
        public init() {}
    }
}

/// A step in the client's middleware chain: sees each request, may change it, call the rest of the chain
/// (`next`) zero, one or several times, and see or change the response or error. The client's network
/// executor (or a mock transport) is at the bottom of the chain.
public protocol HTTPClientMiddleware: Sendable {
    /// Handles `request`, usually by calling `next`.
    func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse
}

/// The rest of the middleware chain, as a callable value.
public struct HTTPClientNext: Sendable {
    let run: @Sendable (HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse

    /// Wraps a function as the rest of a chain (to test a middleware alone, say).
    public init(_ run: @escaping @Sendable (HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse) {
        self.run = run
    }

    /// Sends `request` through the rest of the chain.
    public func callAsFunction(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        try await run(request)
    }
}

extension HTTPClient {
    /// What is at the bottom of the middleware chain.
    public enum Transport: Sendable {
        /// The network: pools, connections, TLS.
        case network
        /// A function answering requests in memory (tests without sockets); middleware still runs. Errors it
        /// throws reach the caller as `HTTPClientError` (other errors are wrapped).
        case mock(@Sendable (HTTPClientRequest) async throws -> HTTPClientResponse)
    }
}
