import Courier
import CourierCore

/// A limit on the wait for a response head, set on a request as its `responseHeadDeadline` (the nearer
/// deadline wins): what `AttemptTimeoutMiddleware` and `DeadlineMiddleware` share.
struct ResponseHeadLimit: Sendable {
    let timeout: Duration
    private let nanoseconds: UInt64

    init(_ timeout: Duration, what: @autoclosure () -> String) {
        precondition(timeout > .zero, what())
        self.timeout = timeout
        nanoseconds = UInt64(timeout.nanosecondsClamped)
    }

    /// The deadline of a limit starting at `now`.
    @inline(__always)
    func deadline(from now: Timestamp) -> Timestamp { now.adding(nanoseconds: nanoseconds) }

    /// Sets the request's deadline from `now`; returns it if it is the one that binds.
    func apply(to request: inout HTTPClientRequest, at now: Timestamp) -> Timestamp? {
        let deadline = deadline(from: now)
        guard request.responseHeadDeadline.map({ deadline < $0 }) ?? true else { return nil }
        request.responseHeadDeadline = deadline
        return deadline
    }
}

/// Bounds each attempt: its response head must arrive within `timeout` of the attempt's start, or it fails
/// with `deadlineExceeded` whose `underlying` is `AttemptTimedOut` — which the retry policy treats as
/// transient. Place it inside the retry middleware. The response body is not bounded by it.
///
/// The client enforces the limit (`HTTPClientRequest.responseHeadDeadline`: the wait for a connection, the
/// send, the wait for the head), so it costs a timer on the connection's loop and no extra task.
public final class AttemptTimeoutMiddleware: HTTPClientMiddleware, Sendable {
    /// The longest an attempt may take to its response head.
    public var timeout: Duration { limit.timeout }
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let limit: ResponseHeadLimit

    /// Attempts get `timeout` each, measured on `clock`.
    public init(_ timeout: Duration, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        limit = ResponseHeadLimit(timeout, what: "an attempt timeout must be positive")
        self.clock = clock
        self.telemetry = telemetry
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = request
        let binding = apply(to: &request, at: clock.now())
        do {
            return try await next(request)
        } catch {
            throw translate(error, binding: binding, request: request)
        }
    }

    /// The deadline of an attempt starting at `now`.
    @inline(__always)
    func deadline(from now: Timestamp) -> Timestamp { limit.deadline(from: now) }

    /// Sets the attempt's deadline from `now`; returns whether it is the one that binds.
    func apply(to request: inout HTTPClientRequest, at now: Timestamp) -> Bool {
        limit.apply(to: &request, at: now) != nil
    }

    /// The attempt's error as the caller sees it: a deadline this timeout set becomes `AttemptTimedOut`.
    func translate(_ error: HTTPClientError, binding: Bool, request: HTTPClientRequest) -> HTTPClientError {
        guard binding, error.code == .deadlineExceeded, !(error.underlying is AttemptTimedOut) else { return error }
        telemetry.record(.timedOut(.attempt, after: timeout), key: nil, request: request.head, time: clock.now())
        return HTTPClientError(.deadlineExceeded, "no response head within the attempt timeout of \(timeout)",
                               underlying: AttemptTimedOut(timeout: timeout, cause: error), isSafeToRetry: error.isSafeToRetry)
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
public final class DeadlineMiddleware: HTTPClientMiddleware, Sendable {
    /// The longest a request may take to its response head, retries included.
    public var timeout: Duration { limit.timeout }
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let limit: ResponseHeadLimit

    /// Requests get `timeout` in all, measured on `clock`.
    public init(_ timeout: Duration, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        limit = ResponseHeadLimit(timeout, what: "a deadline must be positive")
        self.clock = clock
        self.telemetry = telemetry
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = request
        let deadline = apply(to: &request, at: clock.now())
        do {
            return try await next(request)
        } catch {
            throw observe(error, deadline: deadline, request: request)
        }
    }

    /// The deadline of a request starting at `now`.
    @inline(__always)
    func deadline(from now: Timestamp) -> Timestamp { limit.deadline(from: now) }

    /// Sets the request's deadline from `now`; returns it if it is the one that binds.
    func apply(to request: inout HTTPClientRequest, at now: Timestamp) -> Timestamp? {
        limit.apply(to: &request, at: now)
    }

    /// Reports the deadline passing (the error goes on unchanged).
    func observe(_ error: HTTPClientError, deadline: Timestamp?, request: HTTPClientRequest) -> HTTPClientError {
        if let deadline, error.code == .deadlineExceeded {
            let now = clock.now()
            if now >= deadline { telemetry.record(.timedOut(.total, after: timeout), key: nil, request: request.head, time: now) }
        }
        return error
    }
}
