import CourierCore
import CourierHPACK

/// One HTTP/2 connection as a pure state machine (RFC 9113), for the client or the server role.
/// Sans-I/O: bytes in, events and bytes out; no sockets, clocks or threads.
///
/// ## Theory of operation
///
/// Inputs are received bytes (`receive(_:)` then `nextEvent()`, or `nextEvent(from:)` on the
/// driver's own buffer), commands (`openStream`, `sendHeaders`, `sendData`, `sendTrailers`,
/// `resetStream`, `consumed`, `sendPing`, `goAway`) and time (`timeTick(now:)`). Outputs are
/// events, pulled one at a time, and frames, appended to one output buffer that the driver drains
/// with `flushOutput(into:)` once per loop iteration.
///
/// Frames are decoded lazily: `nextEvent` decodes and processes frames until one produces an
/// event, so an event's buffers (a header list, a DATA slice) can be released before the next
/// one is produced, and the decoding buffers are reused without allocating. Each frame is
/// processed by the file for its concern:
/// - `+Receive`: the preface (§3.4), frame dispatch, field-block sequencing (§4.3, §6.10), the
///   classification of a stream as idle, active or closed (§5.1, §5.1.1);
/// - `+HeaderBlocks`: HEADERS, CONTINUATION and PUSH_PROMISE; HPACK; requests, responses, 1xx and
///   trailers with their validation (§6.2, §6.6, §6.10, §8.1–§8.3);
/// - `+FlowControl`: DATA, WINDOW_UPDATE, `consumed`, content-length (§5.2, §6.1, §6.9, §8.1.1);
/// - `+Settings`: SETTINGS and their acknowledgement (§6.5, §6.9.2);
/// - `+Control`: PING, GOAWAY, RST_STREAM, PRIORITY (§6.3, §6.4, §6.7, §6.8);
/// - `+Commands`: what the application sends, stream identifiers and MAX_CONCURRENT_STREAMS (§5.1.1, §5.1.2);
/// - `+Timers`: SETTINGS acknowledgement timeout, keep-alive PING, flood-counter windows;
/// - `+Errors`: connection errors (GOAWAY) and stream errors (RST_STREAM), §5.4, and the flood defences.
///
/// A connection error queues a GOAWAY and a `connectionError` event; afterwards input is ignored
/// and commands fail with `connectionClosed`. A stream error queues a RST_STREAM and, for a stream
/// the application knows, a `streamError` event. Input from the peer never traps.
public struct HTTP2Connection: Sendable {
    /// Which end of the connection this is.
    public enum Role: Hashable, Sendable {
        /// Opens streams (odd identifiers) with requests, receives responses.
        case client
        /// Receives requests on streams the client opens, sends responses.
        case server
    }

    enum Phase: Sendable {
        /// Server: waiting for the client connection preface.
        case awaitingPreface
        /// Waiting for the peer's first SETTINGS frame (§3.4).
        case awaitingSettings
        case active
        /// After a connection error, or our GOAWAY with an error code.
        case closed
    }

    /// A field block being assembled from HEADERS and CONTINUATION frames.
    struct PendingHeaderBlock: Sendable {
        var stream: HTTP2StreamID
        var endStream: Bool
        var priority: HTTP2Priority?
        var continuations: Int
    }

    /// A client stream waiting for MAX_CONCURRENT_STREAMS to allow it.
    struct QueuedStream: Sendable {
        var id: HTTP2StreamID
        var head: HPACKHeaderList
        var endStream: Bool
        var isHeadRequest: Bool
    }

    /// Which end this is.
    public let role: Role
    /// Limits, windows and our settings.
    public let configuration: HTTP2Configuration

    var phase: Phase
    var hpackDecoder: HPACKDecoder
    var hpackEncoder: HPACKEncoder
    /// The list every field block is decoded into; reused (copy on write keeps delivered ones intact).
    var fieldList = HPACKHeaderList(byteCapacity: 1024, fieldCapacity: 24)
    var pendingBlock: PendingHeaderBlock?
    /// Fragments of a field block split over CONTINUATION frames.
    var blockBuffer = ByteBuffer(capacity: 0)
    /// Bytes given to `receive(_:)` and not yet decoded.
    var inbound = ByteBuffer(capacity: 0)
    var output: ByteBuffer
    var events = HTTP2EventQueue()

    /// Our settings in force (acknowledged by the peer).
    public internal(set) var localSettings = HTTP2Settings.initial
    /// Our settings sent and not yet acknowledged.
    var pendingLocalSettings: HTTP2Settings?
    /// The peer's settings in force.
    public internal(set) var remoteSettings = HTTP2Settings.initial
    var receivedRemoteSettings = false
    var settingsDeadline: Timestamp?

    var streams: HTTP2StreamTable
    /// The identifier the next stream we open gets.
    var nextStreamID: UInt32
    /// The highest stream we opened (sent HEADERS on).
    var highestLocalStreamID = HTTP2StreamID.root
    /// The highest stream the peer opened.
    var highestPeerStreamID = HTTP2StreamID.root
    var queuedStreams: [QueuedStream] = []
    var queuedStreamsHead = 0

    /// What we may still send on the connection.
    var connectionSendWindow = 65535
    /// What the peer may still send on the connection.
    var connectionReceiveWindow = 65535
    /// Consumed DATA not yet returned to the peer on the connection.
    var connectionUnacknowledged = 0
    /// Streams `sendData` could not finish, to be told when their window opens.
    var blockedStreams: [HTTP2StreamID] = []

    /// The last-stream-id of the GOAWAY we sent, if we did.
    var goAwaySent: HTTP2StreamID?
    /// The lowest last-stream-id of the GOAWAYs we received, if any.
    var goAwayReceived: HTTP2StreamID?
    var reportedReadyToClose = false

    /// The latest time we were told.
    var now: Timestamp
    var receivedFrameSinceTick = false
    var lastActivity: Timestamp
    var keepAlivePing: (data: HTTP2PingData, deadline: Timestamp)?
    var pingSequence: UInt64 = 0

    var pingCounter = FloodCounter()
    var settingsCounter = FloodCounter()
    var emptyFrameCounter = FloodCounter()
    var windowUpdateCounter = FloodCounter()
    var priorityCounter = FloodCounter()
    var peerResetCounter = FloodCounter()
    var streamErrorCounter = FloodCounter()
    var controlFramesSinceFlush = 0

    /// Creates a connection and queues its preface: for a client, the connection preface, our
    /// SETTINGS and a connection WINDOW_UPDATE; for a server, our SETTINGS and the WINDOW_UPDATE
    /// (the client's preface is then expected first). `now` starts the SETTINGS timeout.
    public init(role: Role, configuration: HTTP2Configuration = HTTP2Configuration(), now: Timestamp) {
        configuration.validate()
        self.role = role
        self.configuration = configuration
        phase = role == .client ? .awaitingSettings : .awaitingPreface
        hpackDecoder = HPACKDecoder(maxHeaderListSize: configuration.maxHeaderListSize,
                                    maxFieldSize: configuration.maxFieldSize)
        hpackEncoder = HPACKEncoder()
        streams = HTTP2StreamTable(role: role, recentlyResetCapacity: configuration.recentlyResetStreamCapacity)
        nextStreamID = role == .client ? 1 : 2
        self.now = now
        lastActivity = now
        output = ByteBuffer(capacity: 4096)
        if role == .client { HTTP2ConnectionPreface.write(into: &output) }
        var settings = HTTP2Settings.initial
        var list: [HTTP2Setting] = []
        if configuration.headerTableSize != settings.headerTableSize {
            list.append(HTTP2Setting(.headerTableSize, UInt32(configuration.headerTableSize)))
            settings.headerTableSize = configuration.headerTableSize
        }
        if role == .client {
            list.append(HTTP2Setting(.enablePush, 0))
            settings.enablePush = false
        } else {
            list.append(HTTP2Setting(.maxConcurrentStreams, UInt32(configuration.maxConcurrentStreams)))
            settings.maxConcurrentStreams = configuration.maxConcurrentStreams
            settings.enablePush = false
        }
        list.append(HTTP2Setting(.initialWindowSize, UInt32(configuration.initialWindowSize)))
        settings.initialWindowSize = configuration.initialWindowSize
        if configuration.maxFrameSize != settings.maxFrameSize {
            list.append(HTTP2Setting(.maxFrameSize, UInt32(configuration.maxFrameSize)))
            settings.maxFrameSize = configuration.maxFrameSize
        }
        list.append(HTTP2Setting(.maxHeaderListSize, UInt32(configuration.maxHeaderListSize)))
        settings.maxHeaderListSize = configuration.maxHeaderListSize
        HTTP2FrameEncoder.writeSettings(list, into: &output)
        pendingLocalSettings = settings
        settingsDeadline = now + configuration.settingsTimeout
        if configuration.connectionWindowSize > 65535 {
            HTTP2FrameEncoder.writeWindowUpdate(stream: .root, increment: configuration.connectionWindowSize - 65535,
                                                into: &output)
            connectionReceiveWindow = configuration.connectionWindowSize
        }
    }

    // MARK: - State for drivers and pools

    /// Whether the connection failed or was closed with an error GOAWAY.
    public var isClosed: Bool { phase == .closed }
    /// Whether a GOAWAY was sent or received: no new streams.
    public var isGoingAway: Bool { goAwaySent != nil || goAwayReceived != nil }
    /// Whether `openStream` can succeed now or after queueing (client role).
    public var canOpenStream: Bool {
        role == .client && phase != .closed && !isGoingAway && nextStreamID <= HTTP2StreamID.maximum.rawValue
    }
    /// How many more streams this connection can ever open before its identifiers run out.
    public var remainingStreamIDs: Int {
        nextStreamID > HTTP2StreamID.maximum.rawValue ? 0 : Int(HTTP2StreamID.maximum.rawValue - nextStreamID) / 2 + 1
    }
    /// Streams open or half-closed.
    public var activeStreamCount: Int { streams.count }
    /// Client streams waiting for MAX_CONCURRENT_STREAMS.
    public var queuedStreamCount: Int { queuedStreams.count - queuedStreamsHead }
    /// How many streams we may have open at once, as the peer allows (before its SETTINGS arrive,
    /// `configuration.assumedPeerMaxConcurrentStreams`).
    public var peerMaxConcurrentStreams: Int {
        if let limit = remoteSettings.maxConcurrentStreams { return limit }
        return receivedRemoteSettings ? Int.max : configuration.assumedPeerMaxConcurrentStreams
    }
    /// Whether output is waiting for `flushOutput(into:)`.
    public var hasPendingOutput: Bool { output.readableBytes > 0 }
    /// What flow control lets us send on the connection now.
    public var connectionWindow: Int { connectionSendWindow }

    /// The state of a stream from our side (RFC 9113 §5.1).
    public func state(of stream: HTTP2StreamID) -> HTTP2StreamState {
        if let record = streams[stream] { return record.state }
        if isQueued(stream) { return .idle }
        let highest = streams.isLocal(stream) ? highestLocalStreamID : highestPeerStreamID
        return stream > highest || stream.isRoot ? .idle : .closed
    }

    /// What flow control lets us send on `stream` now (the minimum of its window and the
    /// connection's), or nil when we cannot send on it.
    public func sendWindow(for stream: HTTP2StreamID) -> Int? {
        guard let record = streams[stream], record.state.canSend else { return nil }
        return max(0, min(record.sendWindow, connectionSendWindow))
    }

    /// Moves the pending output to `buffer` (by swapping storage when `buffer` is empty).
    public mutating func flushOutput(into buffer: inout ByteBuffer) {
        controlFramesSinceFlush = 0
        guard output.readableBytes > 0 else { return }
        if buffer.readableBytes == 0 {
            swap(&buffer, &output)
            output.clear()
        } else {
            buffer.writeBuffer(output)
            output.clear()
        }
    }

    func isQueued(_ stream: HTTP2StreamID) -> Bool {
        queuedStreams[queuedStreamsHead...].contains { $0.id == stream }
    }
}
