/// How long an event loop keeps polling for readiness before it blocks in `epoll_wait`, learnt from how long
/// its recent idle periods lasted.
///
/// Blocking puts the thread to sleep, and on a virtual machine a sleeping CPU halts: waking it for the reply
/// that arrives tens of microseconds later costs more than the request itself. Polling for a short while
/// first skips that sleep when replies come fast (a loopback or LAN peer) and costs little when they come
/// slowly, because the window closes after waits longer than `maximum`. The policy is the one of Linux's
/// guest halt-polling: an idle period the window missed but `maximum` would have caught doubles the window
/// (from `growStart`); one longer than `maximum` halves it, down to zero. Pure value: the loop measures.
struct IdlePollWindow: Sendable, Equatable {
    /// The longest the loop ever polls, in nanoseconds; zero turns polling off.
    let maximum: UInt64
    /// How long the loop polls before it blocks next time, in nanoseconds.
    private(set) var current: UInt64 = 0

    /// The window the first idle period short enough to poll through opens.
    static let growStart: UInt64 = 25_000

    /// A window of at most `maximum` nanoseconds, closed until an idle period shows polling would pay.
    init(maximum: UInt64) {
        self.maximum = maximum
    }

    /// Whether the loop polls at all.
    var isEnabled: Bool { maximum > 0 }

    /// Learns from an idle period of `nanoseconds` that polling did not end (the loop blocked after it).
    mutating func recordBlocked(idleFor nanoseconds: UInt64) {
        guard isEnabled, nanoseconds > current else { return }
        if nanoseconds <= maximum {
            current = Swift.min(Swift.max(current &* 2, Self.growStart), maximum)
        } else {
            current /= 2
            if current < Self.growStart { current = 0 }
        }
    }
}
