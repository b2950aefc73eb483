import CourierCore

/// An in-memory server for unit tests without sockets, in the spirit of httpx's `MockTransport`: routes
/// answer requests by method and path, every request is recorded (head and body), and the number of
/// requests in flight is tracked, so tests can assert on what a client sent and how concurrently. Plug it in
/// with `configuration.transport = .mock(transport)`; the client's features and middleware run as usual.
///
/// Patterns are paths whose segments may be `:name` (one segment, captured) or a final `*` (the rest,
/// captured as `*`). The most recently added matching route wins; unmatched requests get the fallback
/// (404 by default).
public final class MockTransport: Sendable {
    /// A request as a route sees it: the head, the body read into memory, and the pattern's captures.
    public struct Request: Sendable {
        /// Method, scheme, authority, path and fields as the transport received them (after the client's
        /// features: cookies, `Accept-Encoding`, redirects' rewriting).
        public var head: HTTPRequest
        /// The body (empty when there was none).
        public var body: ByteBuffer
        /// Whether the request had a body at all.
        public var hasBody: Bool
        /// Values captured by `:name` and `*` segments.
        public var parameters: [String: String]

        /// The method.
        public var method: HTTPRequest.Method { head.method }
        /// The header fields.
        public var headerFields: HTTPFields { head.headerFields }
        /// The path without the query.
        public var path: String { String((head.path ?? "/").split(separator: "?", maxSplits: 1).first ?? "/") }
        /// The query (after `?`), if any.
        public var query: String? {
            guard let path = head.path, let question = path.firstIndex(of: "?") else { return nil }
            return String(path[path.index(after: question)...])
        }
        /// The body as UTF-8 text.
        public var bodyString: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }
    }

    /// Answers a request.
    public typealias Handler = @Sendable (Request) async throws -> HTTPClientResponse

    private struct Route {
        var method: HTTPRequest.Method?
        var segments: [Substring]
        var handler: Handler
    }

    private struct State {
        var routes: [Route] = []
        var fallback: Handler = { _ in HTTPClientResponse(head: HTTPResponse(status: .notFound)) }
        var recorded: [Request] = []
        var inFlight = 0
        var maximumInFlight = 0
    }

    private let state = Locked(State())
    /// The largest request body recorded; larger ones fail the request with `limitExceeded`.
    public let maximumBodySize: Int
    /// Whether requests are kept in `requests` (turn off for load tests with many requests).
    public let recordsRequests: Bool

    /// An empty router.
    public init(maximumBodySize: Int = 16 << 20, recordsRequests: Bool = true) {
        self.maximumBodySize = maximumBodySize
        self.recordsRequests = recordsRequests
    }

    /// A router answering everything with `handler`.
    public convenience init(_ handler: @escaping Handler) {
        self.init()
        setFallback(handler)
    }

    /// Answers requests with `method` matching `pattern` with `handler`.
    public func route(_ method: HTTPRequest.Method, _ pattern: String, _ handler: @escaping Handler) {
        add(Route(method: method, segments: Self.segments(pattern), handler: handler))
    }

    /// Answers requests with any method matching `pattern` with `handler`.
    public func route(_ pattern: String, _ handler: @escaping Handler) {
        add(Route(method: nil, segments: Self.segments(pattern), handler: handler))
    }

    private func add(_ route: Route) {
        state.withLock { $0.routes.append(route) }
    }

    /// Answers requests no route matches.
    public func setFallback(_ handler: @escaping Handler) {
        state.withLock { $0.fallback = handler }
    }

    /// Every request received, in order of arrival.
    public var requests: [Request] { state.withLock { $0.recorded } }

    /// The requests received for `path` (without query).
    public func requests(path: String) -> [Request] { requests.filter { $0.path == path } }

    /// How many requests were received.
    public var requestCount: Int { state.withLock { $0.recorded.count } }

    /// Requests whose handler is running now.
    public var requestsInFlight: Int { state.withLock { $0.inFlight } }

    /// The most requests that were ever in flight at once.
    public var maximumRequestsInFlight: Int { state.withLock { $0.maximumInFlight } }

    /// Forgets recorded requests and the concurrency high-water mark (routes stay).
    public func resetRecording() {
        state.withLock {
            $0.recorded.removeAll()
            $0.maximumInFlight = $0.inFlight
        }
    }

    /// Handles one request: reads its body, records it, runs the matching route.
    public func handle(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let body = try await request.body?.collect(upTo: maximumBodySize) ?? ByteBuffer(capacity: 0)
        let path = (request.head.path ?? "/").split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let requestSegments = Self.segments(path)
        let (handler, parameters) = state.withLock { state -> (Handler, [String: String]) in
            state.inFlight += 1
            state.maximumInFlight = max(state.maximumInFlight, state.inFlight)
            for route in state.routes.reversed() where route.method == nil || route.method == request.head.method {
                if let parameters = Self.match(route.segments, requestSegments) { return (route.handler, parameters) }
            }
            return (state.fallback, [:])
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        let mockRequest = Request(head: request.head, body: body, hasBody: request.body != nil, parameters: parameters)
        if recordsRequests { state.withLock { $0.recorded.append(mockRequest) } }
        return try await handler(mockRequest)
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, segment) in pattern.enumerated() {
            if segment == "*" && index == pattern.count - 1 {
                parameters["*"] = path.dropFirst(index).joined(separator: "/")
                return parameters
            }
            guard index < path.count else { return nil }
            if segment.hasPrefix(":") {
                parameters[String(segment.dropFirst())] = String(path[index])
            } else if segment != path[index] {
                return nil
            }
        }
        return pattern.count == path.count ? parameters : nil
    }
}

extension HTTPClient.Transport {
    /// A `MockTransport` at the bottom of the chain.
    public static func mock(_ transport: MockTransport) -> HTTPClient.Transport {
        .mock { request in try await transport.handle(request) }
    }
}

extension HTTPClientResponse {
    /// A response with a UTF-8 text body (`Content-Type: text/plain; charset=utf-8` unless given).
    public static func text(_ text: String, status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:]) -> HTTPClientResponse {
        var fields = headerFields
        if fields[.contentType] == nil { fields[.contentType] = "text/plain; charset=utf-8" }
        fields[.contentLength] = "\(text.utf8.count)"
        return HTTPClientResponse(head: HTTPResponse(status: status, headerFields: fields), body: .bytes(ByteBuffer(string: text)))
    }

    /// A response with a JSON body given as text (`Content-Type: application/json`).
    public static func json(_ json: String, status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:]) -> HTTPClientResponse {
        var fields = headerFields
        fields[.contentType] = "application/json"
        return text(json, status: status, headerFields: fields)
    }

    /// A bodiless response with `status`.
    public static func status(_ status: HTTPResponse.Status, headerFields: HTTPFields = [:]) -> HTTPClientResponse {
        HTTPClientResponse(head: HTTPResponse(status: status, headerFields: headerFields))
    }

    /// A redirect to `location` (302 unless given).
    public static func redirect(to location: String, status: HTTPResponse.Status = .found) -> HTTPClientResponse {
        HTTPClientResponse(head: HTTPResponse(status: status, headerFields: [.location: location]))
    }
}
