import CourierCore

/// The GOAWAY a peer sent, with what it means for our streams (RFC 9113 §6.8).
public struct HTTP2GoAway: Sendable, CustomStringConvertible {
    /// The highest of our streams the peer might have processed.
    public let lastStreamID: HTTP2StreamID
    /// Why the peer is closing (NO_ERROR for a graceful shutdown).
    public let errorCode: HTTP2ErrorCode
    /// The peer's opaque diagnostic octets.
    public let debugData: ByteBuffer
    /// Our streams above `lastStreamID`, now closed, that the peer never processed, plus streams
    /// still queued here: all safe to retry on a new connection, whatever their method (§8.7).
    public let unprocessedStreams: [HTTP2StreamID]

    public var description: String {
        "GOAWAY(last \(lastStreamID), \(errorCode), unprocessed \(unprocessedStreams))"
    }
}
