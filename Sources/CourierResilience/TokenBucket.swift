import CourierCore

/// A token bucket — `rate` tokens a second, at most `burst` saved up, one per request — kept as the
/// generic cell rate algorithm (GCRA, ITU-T I.371): a single "theoretical arrival time" instead of a token
/// count, so a request that finds the bucket empty can reserve a future token and learn exactly how long to
/// wait, and reservations queue in arrival order without a queue.
///
/// A nil rate is unlimited: no pacing, only `block(until:)` holds requests (a server's `Retry-After`).
/// After a block, requests are released one interval apart rather than all at once. Pure: time is an
/// argument; `RateLimiter` keeps one per key behind a lock.
public struct TokenBucket: Sendable {
    /// The answer to a reservation.
    public enum Reservation: Sendable, Hashable {
        /// Go after waiting `wait` (zero: now). The token is taken; cancel the reservation if the request
        /// does not go after all.
        case granted(wait: Duration)
        /// The wait would be `wait`, longer than allowed; nothing was taken.
        case refused(wait: Duration)
    }

    /// Tokens per second (nil: unlimited).
    public private(set) var rate: Double?
    /// Tokens that can be saved up.
    public let burst: Int
    private var interval: UInt64 = 0
    private var tolerance: UInt64 = 0
    /// The time at which the bucket would be exactly empty with one more request (GCRA's TAT).
    private var arrival: Timestamp

    /// A full bucket at `now`: `rate` tokens a second (nil: unlimited), `burst` at most (at least 1).
    public init(rate: Double?, burst: Int, now: Timestamp) {
        precondition(rate.map { $0 > 0 && $0.isFinite } ?? true, "a rate must be positive")
        self.burst = max(1, burst)
        arrival = now
        setIntervals(rate)
    }

    /// Reserves a token at `now`, if it comes within `maximumWait`.
    public mutating func reserve(at now: Timestamp, maximumWait: Duration) -> Reservation {
        let start = max(arrival, now)
        let ready = start.nanoseconds >= tolerance ? start.nanoseconds - tolerance : 0
        if ready <= now.nanoseconds {
            // The common case: a token is there.
            let (next, overflow) = start.nanoseconds.addingReportingOverflow(interval)
            arrival = Timestamp(nanoseconds: overflow ? .max : next)
            return .granted(wait: .zero)
        }
        let wait = Duration.nanoseconds(Int64(clamping: ready - now.nanoseconds))
        guard wait <= maximumWait else { return .refused(wait: wait) }
        let (next, overflow) = start.nanoseconds.addingReportingOverflow(interval)
        arrival = Timestamp(nanoseconds: overflow ? .max : next)
        return .granted(wait: wait)
    }

    /// Returns a granted token whose request did not go (it was cancelled while waiting).
    public mutating func cancelReservation(at now: Timestamp) {
        let earliest = now
        let back = Timestamp(nanoseconds: arrival.nanoseconds >= interval ? arrival.nanoseconds - interval : 0)
        arrival = max(back, min(arrival, earliest))
    }

    /// Holds every request until `until` (a later block extends, an earlier one is ignored); afterwards
    /// requests are released at the rate, without a burst.
    public mutating func block(until: Timestamp) {
        arrival = max(arrival, until + .nanoseconds(Int64(clamping: tolerance)))
    }

    /// The time requests are held until, if a block or earlier reservations hold them past `now`.
    public func heldUntil(now: Timestamp) -> Timestamp? {
        let ready = Timestamp(nanoseconds: arrival.nanoseconds >= tolerance ? arrival.nanoseconds - tolerance : 0)
        return ready > now ? ready : nil
    }

    /// Changes the rate from `now` on. Requests already granted keep their times and the next one follows the
    /// last at the new rate; a bucket with nothing queued keeps the tokens it had saved up (at most the burst).
    public mutating func setRate(_ newRate: Double?, at now: Timestamp) {
        precondition(newRate.map { $0 > 0 && $0.isFinite } ?? true, "a rate must be positive")
        guard newRate != rate else { return }
        if let held = heldUntil(now: now) {
            // The next request would go at `held`, one old interval after the last one granted; it now goes
            // one new interval after that one.
            let lastGranted = Timestamp(nanoseconds: held.nanoseconds >= interval ? held.nanoseconds - interval : 0)
            setIntervals(newRate)
            arrival = max(now, lastGranted) + .nanoseconds(Int64(clamping: interval)) + .nanoseconds(Int64(clamping: tolerance))
            return
        }
        let saved = availableTokens(at: now)
        setIntervals(newRate)
        let (product, overflow) = UInt64(max(0, saved - 1)).multipliedReportingOverflow(by: interval)
        let credit = overflow ? tolerance : min(tolerance, product)
        arrival = Timestamp(nanoseconds: now.nanoseconds &+ tolerance &- credit)
    }

    /// Tokens available at `now` without waiting (the whole burst for an unlimited, unblocked bucket).
    public func availableTokens(at now: Timestamp) -> Int {
        guard interval > 0 else { return arrival <= now ? burst : 0 }
        let start = max(arrival, now)
        guard start.nanoseconds <= now.nanoseconds + tolerance else { return 0 }
        return min(burst, Int((now.nanoseconds + tolerance - start.nanoseconds) / interval) + 1)
    }

    /// Whether the bucket is full and unblocked at `now` (its state can be dropped).
    public func isIdle(at now: Timestamp) -> Bool { arrival <= now }

    private mutating func setIntervals(_ newRate: Double?) {
        rate = newRate
        if let newRate {
            interval = UInt64(max(1, min(9.2e18, 1e9 / newRate)))
            let (product, overflow) = interval.multipliedReportingOverflow(by: UInt64(burst - 1))
            tolerance = overflow ? UInt64(Int64.max) : product
        } else {
            interval = 0
            tolerance = 0
        }
    }
}
