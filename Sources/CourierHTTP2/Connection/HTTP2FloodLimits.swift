import CourierCore

/// A rate limit: at most `maximum` events per `window` of time.
public struct HTTP2RateLimit: Sendable, Hashable {
    /// The most events allowed in one window.
    public var maximum: Int
    /// The length of a window.
    public var window: Duration

    /// Creates a limit of `maximum` events per `window`.
    public init(_ maximum: Int, per window: Duration) {
        precondition(maximum >= 0 && window > .zero, "a rate limit needs a positive window")
        self.maximum = maximum
        self.window = window
    }
}

/// Frame-rate limits against the floods of RFC 9113 §10.5 and the 2019–2025 HTTP/2 advisories
/// (`Tests/Fixtures/ATTACKS.md`). Each counts events in fixed windows of time (time comes from
/// `HTTP2Connection.timeTick(now:)`); going past a limit is a connection error ENHANCE_YOUR_CALM.
public struct HTTP2FloodLimits: Sendable, Hashable {
    /// PING frames (not ACKs): each costs us an ACK (CVE-2019-9512). Default 100 per 10 s.
    public var pings = HTTP2RateLimit(100, per: .seconds(10))
    /// SETTINGS frames (not ACKs): each is applied and ACKed (CVE-2019-9515). Default 100 per 10 s.
    public var settings = HTTP2RateLimit(100, per: .seconds(10))
    /// Frames that carry nothing and end nothing: empty DATA without END_STREAM, empty HEADERS or
    /// CONTINUATION fragments without END_HEADERS (CVE-2019-9518). Default 100 per 10 s.
    public var emptyFrames = HTTP2RateLimit(100, per: .seconds(10))
    /// WINDOW_UPDATE frames with an increment below `smallWindowIncrement` (data dribble,
    /// CVE-2019-9511). Default 1000 per 10 s.
    public var smallWindowUpdates = HTTP2RateLimit(1000, per: .seconds(10))
    /// The increment below which a WINDOW_UPDATE counts as small. Default 1024.
    public var smallWindowIncrement = 1024
    /// PRIORITY frames, which we ignore but still parse (CVE-2019-9513). Default 1000 per 10 s.
    public var priorityFrames = HTTP2RateLimit(1000, per: .seconds(10))
    /// Server role: streams the client resets (rapid reset, CVE-2023-44487). Default 200 per 30 s.
    public var peerResets = HTTP2RateLimit(200, per: .seconds(30))
    /// Streams we reset because the peer broke a rule (reset flood CVE-2019-9514, MadeYouReset
    /// CVE-2025-8671). Default 200 per 30 s.
    public var provokedStreamErrors = HTTP2RateLimit(200, per: .seconds(30))
    /// The most control-frame replies (PING and SETTINGS ACKs, RST_STREAM) waiting in our output
    /// between two `flushOutput` calls: bounds what a peer that does not read can make us queue.
    /// Default 10,000.
    public var maxQueuedControlFrames = 10_000

    /// Creates the default limits.
    public init() {}
}

/// Counts events of one kind in fixed windows.
struct FloodCounter: Sendable {
    private(set) var count = 0
    private(set) var windowStart = Timestamp.zero

    /// Counts one event at `now`; false when the limit is now exceeded.
    mutating func record(at now: Timestamp, limit: HTTP2RateLimit) -> Bool {
        if count == 0 || now.elapsed(since: windowStart) >= limit.window {
            count = 0
            windowStart = now
        }
        count += 1
        return count <= limit.maximum
    }

    /// When the current window ends, if events were counted in it (so the driver ticks then).
    func windowEnd(_ limit: HTTP2RateLimit) -> Timestamp? {
        count > 0 ? windowStart + limit.window : nil
    }

    /// Forgets a window that has ended by `now`.
    mutating func expire(at now: Timestamp, limit: HTTP2RateLimit) {
        if count > 0 && now.elapsed(since: windowStart) >= limit.window { count = 0 }
    }
}
