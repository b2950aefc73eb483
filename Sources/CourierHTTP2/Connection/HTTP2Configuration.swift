/// How an `HTTP2Connection` behaves: the settings it advertises, its flow-control windows, and the
/// limits that keep a hostile peer from exhausting it. Every value has a safe default.
public struct HTTP2Configuration: Sendable {
    // MARK: Our settings (sent in the connection preface)

    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table our decoder allows. Default 4096.
    public var headerTableSize = 4096
    /// SETTINGS_MAX_CONCURRENT_STREAMS a server advertises: how many streams the client may open.
    /// Clients do not send it (push is disabled, so servers open no streams). Default 100.
    public var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: how much DATA the peer may send on a stream before we return
    /// credit; with `connectionWindowSize` it bounds the memory a slow reader can be made to hold.
    /// Default 1 MiB.
    public var initialWindowSize = 1 << 20
    /// The connection-level receive window, granted with a WINDOW_UPDATE right after the preface.
    /// Default 4 MiB.
    public var connectionWindowSize = 4 << 20
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept. Default 16 KiB (the minimum).
    public var maxFrameSize = 16384
    /// SETTINGS_MAX_HEADER_LIST_SIZE, and the limit of a decoded field section (name + value + 32
    /// per field): the HPACK-bomb defence. Default 64 KiB.
    public var maxHeaderListSize = 65536
    /// The largest single field (name + value) accepted. Default 16 KiB.
    public var maxFieldSize = 16384

    // MARK: Assumptions about the peer

    /// How many concurrent streams a client opens before the server's SETTINGS say how many it
    /// allows (the protocol's initial value is unlimited). Default 100.
    public var assumedPeerMaxConcurrentStreams = 100

    // MARK: Defences

    /// The largest field block (HEADERS + CONTINUATION fragments, still compressed): the
    /// CONTINUATION-flood defence. Default 64 KiB.
    public var maxHeaderBlockSize = 65536
    /// The most CONTINUATION frames in one field block, empty ones included. Default 16.
    public var maxContinuationFrames = 16
    /// Frame-rate limits; past one the connection fails with ENHANCE_YOUR_CALM.
    public var floodLimits = HTTP2FloodLimits()
    /// How many streams we reset are remembered, so that frames the peer had in flight are
    /// ignored rather than treated as errors (RFC 9113 §5.1). Default 256.
    public var recentlyResetStreamCapacity = 256

    // MARK: Timers

    /// How long the peer has to acknowledge our SETTINGS before SETTINGS_TIMEOUT. Default 10 s.
    public var settingsTimeout: Duration = .seconds(10)
    /// Keep-alive PINGs, off by default.
    public var keepAlive: KeepAlive?

    /// Keep-alive PING policy: after `interval` without receiving a frame, send a PING; if its ACK
    /// does not come within `timeout`, the connection fails (`keepAliveTimeout`).
    public struct KeepAlive: Sendable, Hashable {
        /// Idle time before a PING.
        public var interval: Duration
        /// Time allowed for the ACK.
        public var timeout: Duration

        /// Creates a keep-alive policy.
        public init(interval: Duration, timeout: Duration = .seconds(20)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    // MARK: Behaviour

    /// Whether header lists we send are checked like received ones (RFC 9113 §8.2, §8.3), so that
    /// a caller's mistake is a local error rather than a stream the peer resets. Default on.
    public var validateOutboundHeaders = true

    /// Creates the default configuration.
    public init() {}

    /// Checks the values against the protocol's ranges (a programming error otherwise).
    func validate() {
        precondition((HTTP2Settings.minMaxFrameSize...HTTP2Settings.maxMaxFrameSize).contains(maxFrameSize),
                     "maxFrameSize is 2^14 to 2^24 - 1")
        precondition((0...HTTP2Settings.maxWindowSize).contains(initialWindowSize), "initialWindowSize is 0 to 2^31 - 1")
        precondition((65535...HTTP2Settings.maxWindowSize).contains(connectionWindowSize),
                     "connectionWindowSize is 65535 to 2^31 - 1")
        precondition(headerTableSize >= 0 && headerTableSize <= Int(UInt32.max), "headerTableSize out of range")
        precondition(maxConcurrentStreams >= 0 && maxConcurrentStreams <= Int(UInt32.max), "maxConcurrentStreams out of range")
        precondition(maxHeaderListSize > 0 && maxHeaderListSize <= Int(UInt32.max), "maxHeaderListSize out of range")
        precondition(maxFieldSize > 0 && maxHeaderBlockSize > 0 && maxContinuationFrames >= 0, "limits must be positive")
        precondition(recentlyResetStreamCapacity > 0, "recentlyResetStreamCapacity must be positive")
        precondition(assumedPeerMaxConcurrentStreams > 0, "assumedPeerMaxConcurrentStreams must be positive")
    }
}
