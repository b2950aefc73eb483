import Courier
import CourierCore

/// Bounds each attempt: its response head must arrive within `timeout` of the attempt's start, or it fails
/// with `deadlineExceeded` whose `underlying` is `AttemptTimedOut` — which the retry policy treats as
/// transient. Place it inside the retry middleware. The response body is not bounded by it.
///
/// The client enforces the limit (`HTTPClientRequest.responseHeadDeadline`: the wait for a connection, the
/// send, the wait for the head), so it costs a timer on the connection's loop and no extra task.
public struct AttemptTimeoutMiddleware: HTTPClientMiddleware {
    /// The longest an attempt may take to its response head.
    public let timeout: Duration
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry

    /// Attempts get `timeout` each, measured on `clock`.
    public init(_ timeout: Duration, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        precondition(timeout > .zero, "an attempt timeout must be positive")
        self.timeout = timeout
        self.clock = clock
        self.telemetry = telemetry
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let deadline = clock.now() + timeout
        var request = request
        let binding = request.responseHeadDeadline.map { deadline < $0 } ?? true
        if binding { request.responseHeadDeadline = deadline }
        do {
            return try await next(request)
        } catch where binding && error.code == .deadlineExceeded && !(error.underlying is AttemptTimedOut) {
            telemetry.record(.timedOut(.attempt, after: timeout), key: nil, request: request.head, time: clock.now())
            throw HTTPClientError(.deadlineExceeded, "no response head within the attempt timeout of \(timeout)",
                                  underlying: AttemptTimedOut(timeout: timeout, cause: error),
                                  isSafeToRetry: error.isSafeToRetry)
        }
    }
}

/// The `underlying` of an attempt's timeout (see `AttemptTimeoutMiddleware`).
public struct AttemptTimedOut: Error, Sendable, CustomStringConvertible {
    /// The attempt's limit.
    public let timeout: Duration
    /// The error the client reported when the limit passed.
    public let cause: HTTPClientError

    public var description: String { "the attempt timed out after \(timeout)" }
}

/// Bounds a whole request — every attempt and every wait between them — to its response head: nothing is
/// sent, and no retry waits, past `timeout` from the start. The retry middleware inside sees the deadline
/// and stops early rather than sleep past it. Fails with `deadlineExceeded` when the deadline passes during
/// an attempt. The response body is not bounded by it (use the request's `timeout`).
public struct DeadlineMiddleware: HTTPClientMiddleware {
    /// The longest a request may take to its response head, retries included.
    public let timeout: Duration
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry

    /// Requests get `timeout` in all, measured on `clock`.
    public init(_ timeout: Duration, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        precondition(timeout > .zero, "a deadline must be positive")
        self.timeout = timeout
        self.clock = clock
        self.telemetry = telemetry
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let deadline = clock.now() + timeout
        var request = request
        let binding = request.responseHeadDeadline.map { deadline < $0 } ?? true
        if binding { request.responseHeadDeadline = deadline }
        do {
            return try await next(request)
        } catch where binding && error.code == .deadlineExceeded && !(error.underlying is AttemptTimedOut) {
            telemetry.record(.timedOut(.total, after: timeout), key: nil, request: request.head, time: clock.now())
            throw error
        }
    }
}
