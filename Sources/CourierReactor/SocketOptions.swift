/// Options applied to a stream socket when it is created or accepted.
public struct SocketOptions: Sendable, Hashable {
    /// Disables Nagle's algorithm (TCP_NODELAY). On by default: HTTP writes whole messages.
    public var noDelay: Bool = true
    /// Enables TCP keep-alive probes after this much idle time (nil = off).
    public var keepAliveIdle: Duration? = nil
    /// SO_RCVBUF, or nil for the system default.
    public var receiveBufferSize: Int? = nil
    /// SO_SNDBUF, or nil for the system default.
    public var sendBufferSize: Int? = nil
    /// Above this many queued outgoing bytes the connection reports itself not writable.
    public var writeHighWatermark: Int = 256 * 1024
    /// Below this many queued outgoing bytes a non-writable connection becomes writable again.
    public var writeLowWatermark: Int = 64 * 1024
    /// The first read's size; each read that fills the buffer doubles it, up to `maximumReadSize`, and two
    /// reads in a row that fill at most half of it halve it again, down to this size. Small, so that many
    /// connections carrying small messages hold little memory, also after a large transfer.
    public var initialReadSize: Int = 4 * 1024
    /// The largest single read.
    public var maximumReadSize: Int = 256 * 1024

    /// The defaults: TCP_NODELAY on, no keep-alive, 256 KiB / 64 KiB write watermarks.
    public init() {}
}
