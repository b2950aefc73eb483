/// Hears what happens to each request and when, in the spirit of OkHttp's `EventListener` and
/// URLSession's task metrics: the request starting, each hop handed to the transport (redirects make
/// several), the connection it got (with how that connection was set up when it is new), each response
/// head, redirects, and at the end the request's metrics with per-phase timings (DNS, connect, TLS, request
/// sent, first byte, end).
///
/// Every method has an empty default: implement those you need. They are called from the request's task or
/// the connection's event loop, so they must return quickly and never block. Nothing is measured or
/// allocated for these events unless a listener (or debug logging, or metrics) is configured.
public protocol HTTPClientEventListener: Sendable {
    /// A request entered the client (before middleware and redirects).
    func requestStarted(_ request: HTTPRequest, requestID: UInt64)
    /// A hop is handed to the transport, with the fields the client's features added (cookies,
    /// `Accept-Encoding`); the HTTP/1.1 codec adds `Host` and the framing fields.
    func hopStarted(_ request: HTTPRequest, requestID: UInt64)
    /// The hop got a connection from the pool (not called with a mock transport).
    func connectionAcquired(_ connection: HTTPClientConnectionInfo, requestID: UInt64)
    /// A response head arrived (one per hop).
    func responseReceived(_ response: HTTPResponse, version: HTTPProtocolVersion?, requestID: UInt64)
    /// A redirect is being followed.
    func redirectFollowed(_ redirect: HTTPClientResponse.Redirect, requestID: UInt64)
    /// The request ended: its final body was read to the end, or failed, or was abandoned; or the request
    /// failed before a response (`metrics.error`).
    func requestFinished(_ metrics: HTTPClientRequestMetrics)
}

extension HTTPClientEventListener {
    public func requestStarted(_ request: HTTPRequest, requestID: UInt64) {}
    public func hopStarted(_ request: HTTPRequest, requestID: UInt64) {}
    public func connectionAcquired(_ connection: HTTPClientConnectionInfo, requestID: UInt64) {}
    public func responseReceived(_ response: HTTPResponse, version: HTTPProtocolVersion?, requestID: UInt64) {}
    public func redirectFollowed(_ redirect: HTTPClientResponse.Redirect, requestID: UInt64) {}
    public func requestFinished(_ metrics: HTTPClientRequestMetrics) {}
}
