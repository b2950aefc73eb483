import CourierHPACK

/// Everything that can go wrong in HTTP/2 framing or in a connection, with what the protocol does
/// about it.
///
/// Each error carries:
/// - `code`: what happened (an open set of static values, so new codes never break callers);
/// - `scope`: a connection error (we send GOAWAY and the connection must close) or a stream error
///   (we send RST_STREAM on that stream; the connection goes on), RFC 9113 §5.4;
/// - `wireCode`: the HTTP/2 error code sent to, or received from, the peer;
/// - `origin`: who caused it: the peer (it broke the protocol or one of our limits), the local
///   caller (misuse of this API; nothing was sent), or the library itself (a timeout it enforces);
/// - context: a short `detail`, the frame type involved, and the HPACK error underneath, if any.
public struct HTTP2Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Base: UInt8, Sendable {
            // Framing (RFC 9113 §4, §6)
            case frameTooLarge, invalidFrameLength, invalidStreamID, invalidPadding, invalidSettingValue,
                 zeroWindowIncrement, invalidPromisedStreamID, selfDependency, invalidPreface
            // Stream and connection state (§5.1, §6)
            case unexpectedFrame, idleStream, streamClosed, pushNotAccepted, streamIDNotIncreasing,
                 unexpectedServerStream, concurrentStreamsExceeded, streamRefusedAfterGoAway
            // Flow control (§5.2, §6.9)
            case flowControlViolation, windowOverflow
            // Field blocks (§4.3, §8)
            case compressionFailed, headerListTooLarge, malformedMessage, contentLengthMismatch
            // Defences (§10.5)
            case headerBlockTooLarge, tooManyContinuations, pingFlood, settingsFlood, emptyFrameFlood,
                 windowUpdateFlood, priorityFlood, resetFlood, streamErrorFlood, controlFrameBacklog
            // Timers
            case settingsTimeout, keepAliveTimeout
            // Local misuse
            case streamNotWritable, invalidOutboundHeaders, streamIDsExhausted, connectionGoingAway,
                 connectionClosed, wrongRole, headerListTooLargeForPeer, unknownStream
        }

        @usableFromInline let base: Base

        @usableFromInline
        init(_ base: Base) { self.base = base }

        /// A frame longer than our SETTINGS_MAX_FRAME_SIZE (§4.2).
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A frame whose length is wrong for its type, or too short for its mandatory fields (§4.2, §6).
        public static let invalidFrameLength = Code(.invalidFrameLength)
        /// Stream 0 where a stream is required, or a stream where 0 is required (§6).
        public static let invalidStreamID = Code(.invalidStreamID)
        /// Padding as long as the payload or longer (§6.1, §6.2, §6.6).
        public static let invalidPadding = Code(.invalidPadding)
        /// A SETTINGS value out of its range (§6.5.2).
        public static let invalidSettingValue = Code(.invalidSettingValue)
        /// A WINDOW_UPDATE with increment 0 (§6.9).
        public static let zeroWindowIncrement = Code(.zeroWindowIncrement)
        /// A PUSH_PROMISE promising stream 0, a client stream, or a stream already used (§6.6).
        public static let invalidPromisedStreamID = Code(.invalidPromisedStreamID)
        /// A stream that depends on itself (§5.3.1 of RFC 7540, kept by RFC 9113).
        public static let selfDependency = Code(.selfDependency)
        /// The client connection preface was wrong (§3.4).
        public static let invalidPreface = Code(.invalidPreface)

        /// A frame that is not allowed here: the server's first frame is not SETTINGS, a frame
        /// interrupts a field block, a CONTINUATION follows nothing, HEADERS on a finished message, … (§3.4, §6.10)
        public static let unexpectedFrame = Code(.unexpectedFrame)
        /// A frame other than HEADERS or PRIORITY on a stream that was never opened (§5.1).
        public static let idleStream = Code(.idleStream)
        /// A frame on a stream that is closed or half-closed (remote) (§5.1).
        public static let streamClosed = Code(.streamClosed)
        /// A PUSH_PROMISE although we disabled push, or sent to a server (§6.6, §8.4).
        public static let pushNotAccepted = Code(.pushNotAccepted)
        /// A peer opened a stream with an identifier not above all it opened before (§5.1.1).
        public static let streamIDNotIncreasing = Code(.streamIDNotIncreasing)
        /// A server opened a stream that was never promised (§5.1).
        public static let unexpectedServerStream = Code(.unexpectedServerStream)
        /// A peer opened more streams than our SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2).
        public static let concurrentStreamsExceeded = Code(.concurrentStreamsExceeded)
        /// A peer opened a stream after we sent GOAWAY (§6.8).
        public static let streamRefusedAfterGoAway = Code(.streamRefusedAfterGoAway)

        /// DATA beyond the flow-control window we granted (§6.9).
        public static let flowControlViolation = Code(.flowControlViolation)
        /// A WINDOW_UPDATE or SETTINGS_INITIAL_WINDOW_SIZE that pushes a window above 2^31 − 1 (§6.9.1, §6.9.2).
        public static let windowOverflow = Code(.windowOverflow)

        /// A field block HPACK could not decode (§4.3); `hpackError` says why.
        public static let compressionFailed = Code(.compressionFailed)
        /// A decoded field section larger than our limit (§10.5.1).
        public static let headerListTooLarge = Code(.headerListTooLarge)
        /// A malformed request or response: pseudo-header fields missing, repeated, unknown, out of
        /// order or in trailers; invalid field names or values; connection-specific fields; … (§8.1.1, §8.2, §8.3)
        public static let malformedMessage = Code(.malformedMessage)
        /// Content that does not add up to the content-length field (§8.1.1).
        public static let contentLengthMismatch = Code(.contentLengthMismatch)

        /// A field block (HEADERS + CONTINUATION) longer than our limit: CONTINUATION flood.
        public static let headerBlockTooLarge = Code(.headerBlockTooLarge)
        /// More CONTINUATION frames in one field block than our limit: CONTINUATION flood.
        public static let tooManyContinuations = Code(.tooManyContinuations)
        /// PING frames faster than our limit (CVE-2019-9512).
        public static let pingFlood = Code(.pingFlood)
        /// SETTINGS frames faster than our limit (CVE-2019-9515).
        public static let settingsFlood = Code(.settingsFlood)
        /// Empty DATA, HEADERS or CONTINUATION frames faster than our limit (CVE-2019-9518).
        public static let emptyFrameFlood = Code(.emptyFrameFlood)
        /// Tiny WINDOW_UPDATE increments faster than our limit (CVE-2019-9511).
        public static let windowUpdateFlood = Code(.windowUpdateFlood)
        /// PRIORITY frames faster than our limit (CVE-2019-9513).
        public static let priorityFlood = Code(.priorityFlood)
        /// Streams reset by the peer faster than our limit: rapid reset (CVE-2023-44487).
        public static let resetFlood = Code(.resetFlood)
        /// Stream errors provoked by the peer faster than our limit (CVE-2019-9514, CVE-2025-8671).
        public static let streamErrorFlood = Code(.streamErrorFlood)
        /// More control-frame replies queued than our limit: the peer does not read (CVE-2019-9512/9515).
        public static let controlFrameBacklog = Code(.controlFrameBacklog)

        /// Our SETTINGS were not acknowledged in time (§6.5.3).
        public static let settingsTimeout = Code(.settingsTimeout)
        /// A keep-alive PING was not acknowledged in time.
        public static let keepAliveTimeout = Code(.keepAliveTimeout)

        /// Local misuse: sending on a stream that is closed for sending, or not open yet.
        public static let streamNotWritable = Code(.streamNotWritable)
        /// Local misuse: a header list that would make a malformed message (§8.2, §8.3).
        public static let invalidOutboundHeaders = Code(.invalidOutboundHeaders)
        /// No stream identifiers left on this connection: open a new connection (§5.1.1).
        public static let streamIDsExhausted = Code(.streamIDsExhausted)
        /// The connection is shutting down (GOAWAY sent or received): open a new connection.
        public static let connectionGoingAway = Code(.connectionGoingAway)
        /// The connection has failed or closed.
        public static let connectionClosed = Code(.connectionClosed)
        /// Local misuse: an operation of the other role (e.g. a server opening a stream).
        public static let wrongRole = Code(.wrongRole)
        /// Local misuse: a header list larger than the peer's SETTINGS_MAX_HEADER_LIST_SIZE.
        public static let headerListTooLargeForPeer = Code(.headerListTooLargeForPeer)
        /// Local misuse: a stream this connection does not know.
        public static let unknownStream = Code(.unknownStream)

        public var description: String { String(describing: base) }
    }

    /// Whether the error ends the connection or one stream (RFC 9113 §5.4).
    public enum Scope: Hashable, Sendable, CustomStringConvertible {
        /// A connection error: GOAWAY, then close.
        case connection
        /// A stream error on this stream: RST_STREAM; the connection goes on.
        case stream(HTTP2StreamID)

        public var description: String {
            switch self {
            case .connection: "connection"
            case .stream(let id): "stream \(id)"
            }
        }
    }

    /// Who caused the error.
    public enum Origin: Hashable, Sendable {
        /// The peer broke the protocol or exceeded one of our limits.
        case peer
        /// The caller used the API wrongly; nothing was sent to the peer.
        case local
        /// The library decided, e.g. a timeout expired.
        case library
    }

    /// What went wrong.
    public let code: Code
    /// Connection or stream.
    public let scope: Scope
    /// The HTTP/2 error code that goes (or would go) in GOAWAY or RST_STREAM.
    public let wireCode: HTTP2ErrorCode
    /// Who caused it.
    public let origin: Origin
    /// A short human-readable detail.
    public let detail: String
    /// The frame type being processed, when there was one.
    public let frameType: HTTP2FrameType?
    /// The HPACK failure underneath a `compressionFailed` or `headerListTooLarge` error.
    public let hpackError: HPACKError?

    /// Creates an error.
    public init(_ code: Code, scope: Scope, wireCode: HTTP2ErrorCode, origin: Origin = .peer, detail: String = "",
                frameType: HTTP2FrameType? = nil, hpackError: HPACKError? = nil) {
        self.code = code
        self.scope = scope
        self.wireCode = wireCode
        self.origin = origin
        self.detail = detail
        self.frameType = frameType
        self.hpackError = hpackError
    }

    /// A connection error caused by the peer.
    static func connection(_ code: Code, _ wireCode: HTTP2ErrorCode, _ detail: String = "",
                           frame: HTTP2FrameType? = nil, hpack: HPACKError? = nil) -> HTTP2Error {
        HTTP2Error(code, scope: .connection, wireCode: wireCode, detail: detail, frameType: frame, hpackError: hpack)
    }

    /// A stream error caused by the peer.
    static func stream(_ stream: HTTP2StreamID, _ code: Code, _ wireCode: HTTP2ErrorCode, _ detail: String = "",
                       frame: HTTP2FrameType? = nil, hpack: HPACKError? = nil) -> HTTP2Error {
        HTTP2Error(code, scope: .stream(stream), wireCode: wireCode, detail: detail, frameType: frame, hpackError: hpack)
    }

    /// A misuse of the API by the caller; nothing is sent.
    static func local(_ code: Code, _ detail: String, stream: HTTP2StreamID? = nil) -> HTTP2Error {
        HTTP2Error(code, scope: stream.map { .stream($0) } ?? .connection, wireCode: .internalError, origin: .local,
                   detail: detail)
    }

    /// Whether the connection is over (GOAWAY sent).
    public var isConnectionError: Bool { scope == .connection }
    /// Whether only one stream failed (RST_STREAM sent).
    public var isStreamError: Bool { scope != .connection }
    /// Whether the caller misused the API (nothing was sent).
    public var isLocalMisuse: Bool { origin == .local }
    /// Whether the message was malformed (§8.1.1): missing, repeated or misplaced pseudo-header
    /// fields, invalid fields, or content that does not match content-length.
    public var isMalformedMessage: Bool { code == .malformedMessage || code == .contentLengthMismatch }
    /// Whether the peer was flooding us with frames and we answered ENHANCE_YOUR_CALM.
    public var isFlood: Bool { wireCode == .enhanceYourCalm }
    /// Whether a new connection is the remedy: stream identifiers exhausted or the connection going away.
    public var needsNewConnection: Bool { code == .streamIDsExhausted || code == .connectionGoingAway }

    public var description: String {
        var text = "HTTP/2 \(scope) error \(wireCode): \(code)"
        if let frameType { text += " in \(frameType)" }
        if !detail.isEmpty { text += " (\(detail))" }
        if let hpackError { text += " [\(hpackError)]" }
        switch origin {
        case .peer: break
        case .local: text += " [local misuse]"
        case .library: text += " [library]"
        }
        return text
    }
}
