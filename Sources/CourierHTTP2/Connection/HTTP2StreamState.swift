/// The state of a stream, RFC 9113 §5.1:
///
/// ```
///                              +--------+
///                      send PP |        | recv PP
///                     ,--------+  idle  +--------.
///                    /         |        |         \
///                   v          +--------+          v
///            +----------+          |           +----------+
///            |          |          | send H /  |          |
///     ,------+ reserved |          | recv H    | reserved +------.
///     |      | (local)  |          |           | (remote) |      |
///     |      +---+------+          v           +------+---+      |
///     |          |             +--------+             |          |
///     |          |     recv ES |        | send ES     |          |
///     |   send H |     ,-------+  open  +-------.     | recv H   |
///     |          |    /        |        |        \    |          |
///     |          v   v         +---+----+         v   v          |
///     |      +----------+          |           +----------+      |
///     |      |   half-  |          |           |   half-  |      |
///     |      |  closed  |          | send R /  |  closed  |      |
///     |      | (remote) |          | recv R    | (local)  |      |
///     |      +----+-----+          |           +-----+----+      |
///     |           |                |                 |           |
///     |           | send ES /      |       recv ES / |           |
///     |           |  send R /      v        send R / |           |
///     |           |  recv R    +--------+   recv R   |           |
///     | send R /  `----------->|        |<-----------'  send R / |
///     | recv R                 | closed |               recv R   |
///     `----------------------->|        |<-----------------------'
///                              +--------+
/// ```
///
/// The reserved states need server push, which this library neither sends nor accepts (we send
/// SETTINGS_ENABLE_PUSH = 0 and treat PUSH_PROMISE as a connection error), so a stream here is
/// idle (not yet in the table), open, half-closed, or closed (gone from the table; recently reset
/// ones are remembered so that frames in flight are ignored).
public enum HTTP2StreamState: Hashable, Sendable {
    /// Not yet used.
    case idle
    /// Promised by us (never: we do not push).
    case reservedLocal
    /// Promised by the peer (never: push is refused).
    case reservedRemote
    /// Both sides may send.
    case open
    /// We sent END_STREAM; the peer may still send.
    case halfClosedLocal
    /// The peer sent END_STREAM; we may still send.
    case halfClosedRemote
    /// Finished or reset.
    case closed

    /// Whether we may still send DATA or HEADERS.
    var canSend: Bool { self == .open || self == .halfClosedRemote }
    /// Whether the peer may still send DATA or HEADERS.
    var canReceive: Bool { self == .open || self == .halfClosedLocal }

    /// The state after we send END_STREAM.
    var afterSendingEndStream: HTTP2StreamState { self == .open ? .halfClosedLocal : .closed }
    /// The state after we receive END_STREAM.
    var afterReceivingEndStream: HTTP2StreamState { self == .open ? .halfClosedRemote : .closed }
}

/// What the connection keeps per active stream.
struct HTTP2StreamRecord: Sendable {
    /// Where a received message is (RFC 9113 §8.1).
    enum InboundPhase: Sendable {
        /// Client: waiting for the (first, or next after a 1xx) response head. Server: never (a
        /// server stream exists because its request head arrived).
        case awaitingHead
        /// The final head arrived; DATA and trailers may follow.
        case body
    }

    let id: HTTP2StreamID
    var state: HTTP2StreamState
    /// What we may still send (can go negative after SETTINGS_INITIAL_WINDOW_SIZE shrinks, §6.9.2).
    var sendWindow: Int
    /// What the peer may still send.
    var receiveWindow: Int
    /// DATA the application consumed that has not been returned to the peer in a WINDOW_UPDATE yet.
    var unacknowledgedConsumed = 0
    var inbound: InboundPhase
    /// Remaining content the peer declared with content-length, when it did.
    var remainingContentLength: Int?
    /// Client: the request was HEAD, so the response has no content whatever content-length says.
    var isHeadRequest = false
    /// Server: the response head went out (the next HEADERS we send are trailers).
    var sentHead = false
    /// `sendData` could not take everything: report `windowOpened` when the window grows.
    var blockedOnFlowControl = false

    init(id: HTTP2StreamID, state: HTTP2StreamState, sendWindow: Int, receiveWindow: Int, inbound: InboundPhase) {
        self.id = id
        self.state = state
        self.sendWindow = sendWindow
        self.receiveWindow = receiveWindow
        self.inbound = inbound
    }
}
