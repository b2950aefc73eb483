/// The limits and timeouts of one per-origin connection pool. Every field has a safe default.
public struct ConnectionPoolConfiguration: Hashable, Sendable {
    /// Which HTTP version the pool's connections speak.
    public enum PreferredProtocol: Hashable, Sendable {
        /// Negotiate with ALPN; the first connection to an origin decides what later ones are expected to speak.
        case automatic
        /// Only HTTP/1.1.
        case http1Only
        /// HTTP/2 without negotiation (cleartext prior knowledge or ALPN offering only `h2`).
        case http2PriorKnowledge
    }

    /// How long to wait before a new connection attempt after failed ones: `initial`, multiplied by
    /// `multiplier` for each further failure in a row, capped at `maximum`. No jitter: the state machine
    /// takes no randomness; one pool's attempts are already spaced by the failures themselves.
    public struct ConnectBackoff: Hashable, Sendable {
        /// The wait after the first failure.
        public var initial: Duration
        /// The longest wait.
        public var maximum: Duration
        /// The growth per further failure (values below 1 are treated as 1).
        public var multiplier: Double

        /// Creates a backoff policy; the defaults are 100 ms, doubling, up to 10 s.
        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), multiplier: Double = 2) {
            self.initial = initial
            self.maximum = maximum
            self.multiplier = multiplier
        }

        /// The wait after `failures` failed attempts in a row (at least 1).
        public func delay(afterFailures failures: Int) -> Duration {
            let cap = Double(max(maximum, .zero).nanosecondsClamped)
            let factor = multiplier.isNaN ? 1 : max(multiplier, 1)
            var delay = min(Double(max(initial, .zero).nanosecondsClamped), cap)
            var step = 1
            while step < failures && delay < cap {
                delay = min(delay * factor, cap)
                step += 1
            }
            // Double(Int64.max) rounds up to 2^63, which does not convert back.
            return delay >= 0x1p63 ? .nanoseconds(Int64.max) : .nanoseconds(Int64(delay))
        }
    }

    /// The most HTTP/1.1 connections open (or opening) to the origin at once.
    public var maximumConnectionsPerOrigin: Int
    /// The most HTTP/2 connections accepting new streams at once; another is opened only when every open one
    /// is at its stream limit, out of stream ids, or going away.
    public var maximumHTTP2ConnectionsPerOrigin: Int
    /// The most requests waiting for a connection or stream; beyond it a request fails at once.
    public var maximumPendingRequests: Int
    /// How long a request may wait for a connection or stream; `nil` waits without limit.
    public var acquireTimeout: Duration?
    /// How long a connection may sit unused before the pool closes it. The default (50 s) is below the
    /// 60–75 s keep-alive timeouts of common servers and load balancers, so the client closes first.
    public var idleTimeout: Duration
    /// A connection older than this is not reused: closed when it becomes idle (HTTP/1.1) or drained
    /// (HTTP/2). `nil` keeps connections as long as they work.
    public var maximumConnectionAge: Duration?
    /// The wait between failed connection attempts.
    public var connectBackoff: ConnectBackoff
    /// After this many failed attempts in a row, with no other connection to wait for, the waiting requests
    /// fail with the connection error (values below 1 are treated as 1). The default, 1, reports the error
    /// instead of hiding it behind retries; retrying is the resilience layer's job.
    public var failFastAfterFailures: Int
    /// Which HTTP version to speak.
    public var preferredProtocol: PreferredProtocol

    /// Creates a configuration; every argument has a default.
    public init(
        maximumConnectionsPerOrigin: Int = 8,
        maximumHTTP2ConnectionsPerOrigin: Int = 4,
        maximumPendingRequests: Int = 10_000,
        acquireTimeout: Duration? = .seconds(30),
        idleTimeout: Duration = .seconds(50),
        maximumConnectionAge: Duration? = nil,
        connectBackoff: ConnectBackoff = ConnectBackoff(),
        failFastAfterFailures: Int = 1,
        preferredProtocol: PreferredProtocol = .automatic
    ) {
        self.maximumConnectionsPerOrigin = maximumConnectionsPerOrigin
        self.maximumHTTP2ConnectionsPerOrigin = maximumHTTP2ConnectionsPerOrigin
        self.maximumPendingRequests = maximumPendingRequests
        self.acquireTimeout = acquireTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnectionAge = maximumConnectionAge
        self.connectBackoff = connectBackoff
        self.failFastAfterFailures = failFastAfterFailures
        self.preferredProtocol = preferredProtocol
    }

    /// The limits as the state machine applies them: at least one connection of each kind, no negative
    /// queue, fail-fast after at least one failure.
    var normalized: ConnectionPoolConfiguration {
        var copy = self
        copy.maximumConnectionsPerOrigin = max(1, maximumConnectionsPerOrigin)
        copy.maximumHTTP2ConnectionsPerOrigin = max(1, maximumHTTP2ConnectionsPerOrigin)
        copy.maximumPendingRequests = max(0, maximumPendingRequests)
        copy.failFastAfterFailures = max(1, failFastAfterFailures)
        return copy
    }
}
