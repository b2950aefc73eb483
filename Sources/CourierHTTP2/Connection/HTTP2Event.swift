import CourierCore

/// What an `HTTP2Connection` reports to its driver, one at a time from `nextEvent()`.
///
/// Stream lifecycle: a stream's events end with exactly one of `streamClosed` (both sides sent
/// END_STREAM), `streamReset` (the peer reset it), `streamError` (we reset it because the peer
/// broke a rule), a `goAway` that lists it as unprocessed, or the connection's end
/// (`connectionError`). A stream the caller resets itself gets no further event.
public enum HTTP2Event: Sendable {
    /// The peer's SETTINGS were applied and acknowledged; the values now in force.
    case remoteSettings(HTTP2Settings)
    /// The peer acknowledged our SETTINGS; they are in force.
    case settingsAcknowledged
    /// Client: an interim (1xx) response on a stream; the final one follows.
    case informationalResponse(HTTP2StreamID, HTTP2ResponseHead)
    /// Client: the final response head. With `endStream` the response has no content.
    case response(HTTP2StreamID, HTTP2ResponseHead, endStream: Bool)
    /// Server: a request head on a new stream. With `endStream` the request has no content.
    case request(HTTP2StreamID, HTTP2RequestHead, endStream: Bool)
    /// Content, a view of the received bytes (no copy). Report it with `consumed(_:bytes:)` once
    /// processed, even after the stream closed: that is what returns flow-control credit.
    case data(HTTP2StreamID, ByteBuffer, endStream: Bool)
    /// Trailers; they end the message.
    case trailers(HTTP2StreamID, HTTP2HeaderFields)
    /// A stream that was waiting for MAX_CONCURRENT_STREAMS sent its HEADERS; DATA may follow.
    case streamStarted(HTTP2StreamID)
    /// Flow control lets `sendData` send more on this stream (it had been held back).
    case windowOpened(HTTP2StreamID)
    /// Both sides finished the stream.
    case streamClosed(HTTP2StreamID)
    /// The peer reset the stream with this code. REFUSED_STREAM means it was not processed and
    /// is safe to retry (§8.7); NO_ERROR after a complete response means "stop sending" (§8.1).
    case streamReset(HTTP2StreamID, HTTP2ErrorCode)
    /// We reset the stream because the peer broke a rule on it (the error says which).
    case streamError(HTTP2StreamID, HTTP2Error)
    /// The peer is closing the connection; no new streams may be opened on it.
    case goAway(HTTP2GoAway)
    /// The peer acknowledged one of our PINGs.
    case pingAcknowledged(HTTP2PingData)
    /// The connection failed (we have queued a GOAWAY): flush the output, then close.
    case connectionError(HTTP2Error)
    /// A GOAWAY was sent or received and no stream is left: flush the output, then close.
    case readyToClose
}

/// A FIFO of events reused across inputs, so that delivering events allocates nothing.
struct HTTP2EventQueue: Sendable {
    var events: [HTTP2Event] = []
    private var head = 0

    init() { events.reserveCapacity(16) }

    var isEmpty: Bool { head == events.count }

    mutating func append(_ event: HTTP2Event) { events.append(event) }

    mutating func pop() -> HTTP2Event? {
        guard head < events.count else { return nil }
        // Move the event out, leaving a placeholder: no reference stays behind in the queue, so
        // buffers the event shares remain uniquely owned once the caller is done with it.
        var event = HTTP2Event.settingsAcknowledged
        swap(&event, &events[head])
        head += 1
        if head == events.count {
            events.clearKeepingCapacity()
            head = 0
        }
        return event
    }
}
