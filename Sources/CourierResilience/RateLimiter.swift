import Courier
import CourierCore
import Synchronization

/// Rate limiting as middleware: a token bucket per key (per origin by default, or one for all requests),
/// waiting for a token when it comes within `maximumWait` (cancellable), failing fast with `rateLimited`
/// otherwise. With `adaptive` set, it also follows the server: a 429 lowers the rate (then it recovers), a
/// `Retry-After` on a 429 or 503, or an exhausted `RateLimit-Remaining`, holds every request to that key
/// until the server's time — so one throttled response slows all the requests behind it, not just its own
/// retry.
///
/// Place it outermost: each request takes one token, however many attempts it needs (the retry budget
/// bounds those). Alone, an adaptive limiter learns from the response each request ends with; to learn from
/// every attempt (a 429 that the retry middleware retried included), put `attemptFeedback()` inside the
/// retry middleware, as the standard pipeline does.
public final class RateLimiter: HTTPClientMiddleware, Sendable {
    /// Requests per second per key (nil: unlimited; only an adaptive limiter's holds apply).
    public let rate: Double?
    /// Requests a key may send at once after a quiet period.
    public let burst: Int
    /// The longest a request waits for its token; beyond, it fails at once (zero: never wait).
    public let maximumWait: Duration
    /// How the limiter follows the server (nil: not at all).
    public let adaptive: AdaptiveRatePolicy?
    /// How requests share buckets.
    public let partition: PartitionKey
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let store: KeyedStore<RateLimiterState>
    private let learnsFromAttempts = Atomic(false)

    /// A limiter of `rate` requests per second with bursts of `burst`, per `partition` key.
    public init(rate: Double?, burst: Int = 1, maximumWait: Duration = .seconds(10), adaptive: AdaptiveRatePolicy? = nil,
                partition: PartitionKey = .origin, clock: any ResilienceClock = SystemResilienceClock(),
                telemetry: ResilienceTelemetry = .standard) {
        precondition(rate.map { $0 > 0 && $0.isFinite } ?? true, "a rate must be positive")
        precondition(maximumWait >= .zero, "the maximum wait must not be negative")
        self.rate = rate
        self.burst = max(1, burst)
        self.maximumWait = maximumWait
        self.adaptive = adaptive
        self.partition = partition
        self.clock = clock
        self.telemetry = telemetry
        let burst = max(1, burst)
        store = KeyedStore { now in
            RateLimiterState(bucket: TokenBucket(rate: rate, burst: burst, now: now),
                             controller: adaptive.map { AdaptiveRateController(policy: $0, ceiling: rate, now: now) })
        }
    }

    /// A limiter with no rate of its own that follows each origin's 429s, `Retry-After` and `RateLimit`
    /// headers (the standard pipeline's).
    public static func adaptive(policy: AdaptiveRatePolicy = AdaptiveRatePolicy(), maximumWait: Duration = .seconds(10),
                                partition: PartitionKey = .origin, clock: any ResilienceClock = SystemResilienceClock(),
                                telemetry: ResilienceTelemetry = .standard) -> RateLimiter {
        RateLimiter(rate: nil, burst: 1, maximumWait: maximumWait, adaptive: policy, partition: partition, clock: clock,
                    telemetry: telemetry)
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let key = partition.key(for: request)
        let ticket = try await admit(request, key: key, at: clock.now())
        let response = try await next(request)
        if adaptive != nil, !learnsFromAttempts.load(ordering: .relaxed) {
            learn(from: response, statusCode: response.status.code, ticket: ticket, key: key, request: request)
        }
        return response
    }

    /// A middleware that shows this limiter the response of every attempt; place it inside the retry
    /// middleware. From then on the limiter learns only through it (each response is counted once).
    public func attemptFeedback() -> RateLimiterFeedback {
        learnsFromAttempts.store(true, ordering: .relaxed)
        return RateLimiterFeedback(limiter: self)
    }

    // MARK: - Steps (shared with `ResiliencePipeline`)

    /// A request that got its token: where to report what the server said.
    struct Ticket {
        let cell: KeyedCell<RateLimiterState>
        /// When the request may go (after any wait).
        let start: Timestamp
    }

    /// Takes a token for `request` at `now`, waiting for it (cancellably) when it comes within the maximum
    /// wait; throws `rateLimited` when it does not.
    func admit(_ request: HTTPClientRequest, key: ResilienceKey, at now: Timestamp) async throws(HTTPClientError) -> Ticket {
        let (ticket, wait) = try reserve(request, key: key, at: now)
        guard wait > .zero else { return ticket }
        return try await hold(ticket, for: wait, key: key, request: request)
    }

    /// Reserves a token: the ticket and how long to wait for it.
    func reserve(_ request: HTTPClientRequest, key: ResilienceKey, at now: Timestamp) throws(HTTPClientError) -> (Ticket, Duration) {
        let cell = store.cell(for: key, now: now)
        let maximumWait = self.maximumWait
        switch cell.withLock({ $0.reserve(at: now, maximumWait: maximumWait) }) {
        case .refused(let wait):
            telemetry.record(.rateLimiterRejected(wait: wait), key: key, request: request.head, time: now)
            throw HTTPClientError(.rateLimited, "the rate limit for \(key) would hold the request for \(wait)",
                                  underlying: RateLimitExceeded(key: key, retryAfter: wait), isSafeToRetry: true)
        case .granted(let wait):
            return (Ticket(cell: cell, start: wait == .zero ? now : now + wait), wait)
        }
    }

    /// Waits out a reservation; a cancelled wait gives the token back.
    func hold(_ ticket: Ticket, for wait: Duration, key: ResilienceKey, request: HTTPClientRequest) async throws(HTTPClientError) -> Ticket {
        let now = ticket.start + .nanoseconds(-wait.nanosecondsClamped)
        telemetry.record(.rateLimiterWaited(wait), key: key, request: request.head, time: now)
        do {
            try await clock.sleep(until: ticket.start)
        } catch {
            let cancelledAt = clock.now()
            ticket.cell.withLock { $0.bucket.cancelReservation(at: cancelledAt) }
            throw HTTPClientError(.cancelled, "the request was cancelled while waiting for the rate limiter")
        }
        return Ticket(cell: ticket.cell, start: clock.now())
    }

    /// Lets an adaptive limiter follow what the server said in `response` (whose status is `statusCode`).
    func learn(from response: HTTPClientResponse, statusCode: Int, ticket: Ticket, key: ResilienceKey, request: HTTPClientRequest) {
        guard let adaptive, Self.mayAdjust(response, statusCode: statusCode, followingHeaders: adaptive.followsRateLimitHeaders)
        else { return }
        let hints = ServerBackoffHints(fields: response.headerFields, unixTime: clock.unixTime())
        let at = clock.now()
        guard let adjustment = ticket.cell.withLock({ $0.observe(status: response.status, hints: hints, at: at) }) else { return }
        telemetry.record(.rateLimitAdjusted(rate: adjustment.rate, hold: adjustment.holdUntil.map { $0.elapsed(since: at) }),
                         key: key, request: request.head, time: at)
    }

    /// `learn(from:ticket:request:)` for a request whose ticket is not at hand (the feedback middleware).
    func learn(from response: HTTPClientResponse, request: HTTPClientRequest) {
        let code = response.status.code
        guard let adaptive, Self.mayAdjust(response, statusCode: code, followingHeaders: adaptive.followsRateLimitHeaders) else { return }
        let key = partition.key(for: request)
        let now = clock.now()
        learn(from: response, statusCode: code, ticket: Ticket(cell: store.cell(for: key, now: now), start: now), key: key,
              request: request)
    }

    /// The rate `key` is allowed now (nil: unlimited), after any adaptive decrease.
    public func currentRate(for key: ResilienceKey) -> Double? {
        let now = clock.now()
        return store.existingCell(for: key)?.withLock { $0.currentRate(at: now) } ?? rate
    }

    /// Until when `key`'s requests are held, if they are.
    public func heldUntil(for key: ResilienceKey) -> Timestamp? {
        let now = clock.now()
        return store.existingCell(for: key)?.withLock { $0.bucket.heldUntil(now: now) }
    }

    private static func mayAdjust(_ response: HTTPClientResponse, statusCode code: Int, followingHeaders: Bool) -> Bool {
        if code == 429 || code == 503 { return true }
        return followingHeaders && ServerBackoffHints.mayContainHints(response.headerFields)
    }
}

/// Shows a `RateLimiter` the response of each attempt (see `RateLimiter.attemptFeedback()`).
public final class RateLimiterFeedback: HTTPClientMiddleware, Sendable {
    let limiter: RateLimiter

    init(limiter: RateLimiter) { self.limiter = limiter }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let response = try await next(request)
        limiter.learn(from: response, request: request)
        return response
    }
}

/// The `underlying` of a `rateLimited` error: whose bucket, and how long the request would have waited.
public struct RateLimitExceeded: Error, Sendable, CustomStringConvertible {
    /// The bucket's key.
    public let key: ResilienceKey
    /// The wait that exceeded the limiter's maximum.
    public let retryAfter: Duration

    public var description: String { "rate limit of \(key) exceeded; a token comes in \(retryAfter)" }
}

/// One key's bucket and, for an adaptive limiter, the controller that moves its rate.
struct RateLimiterState: IdleAware {
    var bucket: TokenBucket
    var controller: AdaptiveRateController?

    mutating func reserve(at now: Timestamp, maximumWait: Duration) -> TokenBucket.Reservation {
        if controller != nil {
            let allowed = controller!.rate(at: now)
            if allowed != bucket.rate { bucket.setRate(allowed, at: now) }
            let reservation = bucket.reserve(at: now, maximumWait: maximumWait)
            if case .granted = reservation { controller!.recordSend(at: now) }
            return reservation
        }
        return bucket.reserve(at: now, maximumWait: maximumWait)
    }

    mutating func observe(status: HTTPResponse.Status, hints: ServerBackoffHints, at now: Timestamp) -> AdaptiveRateController.Adjustment? {
        guard controller != nil, let adjustment = controller!.observe(status: status, hints: hints, at: now) else { return nil }
        if adjustment.rate != bucket.rate { bucket.setRate(adjustment.rate, at: now) }
        if let until = adjustment.holdUntil { bucket.block(until: until) }
        return adjustment
    }

    mutating func currentRate(at now: Timestamp) -> Double? {
        controller?.rate(at: now) ?? bucket.rate
    }

    mutating func isIdle(at now: Timestamp) -> Bool {
        bucket.isIdle(at: now) && (controller?.isIdle(at: now) ?? true)
    }
}
