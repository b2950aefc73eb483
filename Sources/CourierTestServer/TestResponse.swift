import CourierCore
import HTTPTypes

/// What a route handler answers: a status, header fields, a body, optional trailers, and faults that make
/// the server misbehave while sending it.
///
/// Framing fields (`Content-Length`, `Transfer-Encoding`) are derived from the body and any given are
/// ignored. A `Connection: close` field makes the server close the connection after the response.
public struct TestResponse: Sendable {
    /// The status.
    public var status: HTTPResponse.Status
    /// The header fields.
    public var headerFields: HTTPFields
    /// The body.
    public var body: TestResponseBody
    /// Trailer fields sent after the body (the body is then chunked on HTTP/1.1).
    public var trailers: HTTPFields?
    /// Interim responses (e.g. 103 Early Hints) sent before the final head.
    public var informational: [(status: HTTPResponse.Status, headerFields: HTTPFields)]
    /// Misbehaviours applied while sending (see `TestFault`).
    public var faults: [TestFault]

    /// A response; every part defaults to nothing (200, no fields, empty body).
    public init(
        status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], body: TestResponseBody = .empty,
        trailers: HTTPFields? = nil, faults: [TestFault] = []
    ) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
        self.trailers = trailers
        self.informational = []
        self.faults = faults
    }

    /// A response with a UTF-8 text body (`Content-Type: text/plain; charset=utf-8` unless given).
    public static func text(_ text: String, status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:]) -> TestResponse {
        var fields = headerFields
        if fields[.contentType] == nil { fields[.contentType] = "text/plain; charset=utf-8" }
        return TestResponse(status: status, headerFields: fields, body: .string(text))
    }

    /// A response with a JSON body given as text (`Content-Type: application/json`).
    public static func json(_ json: String, status: HTTPResponse.Status = .ok) -> TestResponse {
        TestResponse(status: status, headerFields: [.contentType: "application/json"], body: .string(json))
    }

    /// An empty response with `status`.
    public static func status(_ status: HTTPResponse.Status) -> TestResponse {
        TestResponse(status: status)
    }

    /// 429 Too Many Requests with `Retry-After` in whole seconds (rounded up).
    public static func tooManyRequests(retryAfter: Duration) -> TestResponse {
        retrying(.tooManyRequests, after: retryAfter)
    }

    /// 503 Service Unavailable with `Retry-After` in whole seconds (rounded up).
    public static func serviceUnavailable(retryAfter: Duration) -> TestResponse {
        retrying(.serviceUnavailable, after: retryAfter)
    }

    /// `status` with `Retry-After` in whole seconds (rounded up), e.g. for 301, 429 or 503.
    public static func retrying(_ status: HTTPResponse.Status, after delay: Duration) -> TestResponse {
        let (seconds, attoseconds) = delay.components
        let whole = max(0, seconds + (attoseconds > 0 ? 1 : 0))
        return TestResponse(status: status, headerFields: [.retryAfter: String(whole)], body: .string("\(status)\n"))
    }

    /// `status` with `Retry-After` given as an HTTP date (RFC 9110 §5.6.7, e.g. "Wed, 21 Oct 2015 07:28:00 GMT").
    public static func retrying(_ status: HTTPResponse.Status, afterDate date: String) -> TestResponse {
        TestResponse(status: status, headerFields: [.retryAfter: date], body: .string("\(status)\n"))
    }

    /// A redirect to `location` (302 Found unless another status is given).
    public static func redirect(to location: String, status: HTTPResponse.Status = .found) -> TestResponse {
        TestResponse(status: status, headerFields: [.location: location])
    }

    /// The same response with `faults` added.
    public func withFaults(_ faults: TestFault...) -> TestResponse {
        var copy = self
        copy.faults += faults
        return copy
    }

    /// The same response with `fields` added to its header fields.
    public func withHeaderFields(_ fields: HTTPFields) -> TestResponse {
        var copy = self
        copy.headerFields.append(contentsOf: fields)
        return copy
    }
}
