import CourierCore
import CourierHPACK

// What the application sends: requests (client), responses (server), DATA, trailers, resets,
// PINGs and GOAWAY. Stream identifiers are allocated in increasing order (RFC 9113 §5.1.1); when
// they run out, `streamIDsExhausted` says a new connection is needed. A client keeps at most the
// peer's SETTINGS_MAX_CONCURRENT_STREAMS streams open (§5.1.2): further streams get their
// identifier at once but wait in a FIFO queue (sending in queue order keeps identifiers
// increasing on the wire), and start, with a `streamStarted` event, as others close.
// Misuse is reported as a local error; nothing is sent then.

/// The result of `HTTP2Connection.openStream`: the new stream's identifier, and whether it waits
/// for MAX_CONCURRENT_STREAMS (its HEADERS not sent yet; `streamStarted` reports when they are).
public struct HTTP2OpenedStream: Hashable, Sendable {
    /// The stream's identifier.
    public let id: HTTP2StreamID
    /// Whether the stream waits in the queue.
    public let isQueued: Bool
}

extension HTTP2Connection {
    /// Client: opens a stream with a request head (pseudo-header fields first, names lowercase).
    /// With `endStream` the request has no content.
    public mutating func openStream(_ head: HPACKHeaderList, endStream: Bool) throws(HTTP2Error) -> HTTP2OpenedStream {
        guard role == .client else { throw .local(.wrongRole, "only a client opens streams") }
        try checkCanSend()
        guard !isGoingAway else { throw .local(.connectionGoingAway, "GOAWAY was exchanged") }
        guard nextStreamID <= HTTP2StreamID.maximum.rawValue else {
            throw .local(.streamIDsExhausted, "no stream identifiers left")
        }
        let (summary, violation) = HTTP2FieldValidation.check(head, kind: .request)
        if let violation, configuration.validateOutboundHeaders { throw .local(.invalidOutboundHeaders, violation) }
        try checkPeerHeaderListSize(head)
        let id = HTTP2StreamID(nextStreamID)
        nextStreamID += 2
        if queuedStreamCount == 0 && streams.localCount < peerMaxConcurrentStreams {
            startStream(QueuedStream(id: id, head: head, endStream: endStream, isHeadRequest: summary.isHeadRequest))
            return HTTP2OpenedStream(id: id, isQueued: false)
        }
        queuedStreams.append(QueuedStream(id: id, head: head, endStream: endStream, isHeadRequest: summary.isHeadRequest))
        return HTTP2OpenedStream(id: id, isQueued: true)
    }

    mutating func startStream(_ queued: QueuedStream) {
        writeHeaders(queued.head, stream: queued.id, endStream: queued.endStream)
        highestLocalStreamID = queued.id
        var record = HTTP2StreamRecord(id: queued.id, state: queued.endStream ? .halfClosedLocal : .open,
                                       sendWindow: remoteSettings.initialWindowSize,
                                       receiveWindow: localSettings.initialWindowSize, inbound: .awaitingHead)
        record.isHeadRequest = queued.isHeadRequest
        streams.insert(record)
    }

    /// Starts queued streams while MAX_CONCURRENT_STREAMS allows.
    mutating func startQueuedStreams() {
        while queuedStreamsHead < queuedStreams.count, phase != .closed, streams.localCount < peerMaxConcurrentStreams {
            let queued = queuedStreams[queuedStreamsHead]
            queuedStreamsHead += 1
            startStream(queued)
            events.append(.streamStarted(queued.id))
        }
        if queuedStreamsHead == queuedStreams.count && queuedStreamsHead > 0 {
            queuedStreams.removeAll(keepingCapacity: true)
            queuedStreamsHead = 0
        }
    }

    /// Server: sends a response head (`:status` first) on a request's stream; an interim (1xx)
    /// head may precede the final one. With `endStream` the response has no content.
    public mutating func sendHeaders(_ stream: HTTP2StreamID, _ head: HPACKHeaderList, endStream: Bool) throws(HTTP2Error) {
        guard role == .server else { throw .local(.wrongRole, "a client sends its head with openStream") }
        try checkCanSend()
        guard let record = streams[stream], record.state.canSend else {
            throw .local(.streamNotWritable, "stream \(stream) is not open for sending", stream: stream)
        }
        guard !record.sentHead else {
            throw .local(.invalidOutboundHeaders, "the final head was sent; use sendTrailers", stream: stream)
        }
        let (summary, violation) = HTTP2FieldValidation.check(head, kind: .response)
        if let violation, configuration.validateOutboundHeaders {
            throw .local(.invalidOutboundHeaders, violation, stream: stream)
        }
        let informational = summary.status != 0 && summary.status < 200
        guard !(informational && endStream) else {
            throw .local(.invalidOutboundHeaders, "a 1xx response cannot end the stream", stream: stream)
        }
        try checkPeerHeaderListSize(head)
        writeHeaders(head, stream: stream, endStream: endStream)
        if !informational { streams[active: stream].sentHead = true }
        if endStream { sentEndStream(stream) }
    }

    /// Sends trailers, which end the stream (no pseudo-header fields).
    public mutating func sendTrailers(_ stream: HTTP2StreamID, _ trailers: HPACKHeaderList) throws(HTTP2Error) {
        try checkCanSend()
        guard let record = streams[stream], record.state.canSend else {
            throw .local(.streamNotWritable, "stream \(stream) is not open for sending", stream: stream)
        }
        guard role == .client || record.sentHead else {
            throw .local(.invalidOutboundHeaders, "trailers before the response head", stream: stream)
        }
        let (_, violation) = HTTP2FieldValidation.check(trailers, kind: .trailers)
        if let violation, configuration.validateOutboundHeaders {
            throw .local(.invalidOutboundHeaders, violation, stream: stream)
        }
        try checkPeerHeaderListSize(trailers)
        writeHeaders(trailers, stream: stream, endStream: true)
        sentEndStream(stream)
    }

    /// Sends as much of `data` as flow control allows, in frames of at most the peer's
    /// SETTINGS_MAX_FRAME_SIZE, and returns how many octets it took (they are consumed from
    /// `data`). END_STREAM goes out with the last octet when `endStream` is set and everything
    /// fit. When something is left, keep it and call again after `windowOpened`. A queued stream
    /// takes nothing until `streamStarted`.
    @discardableResult
    public mutating func sendData(_ stream: HTTP2StreamID, _ data: inout ByteBuffer, endStream: Bool) throws(HTTP2Error) -> Int {
        try checkCanSend()
        guard let record = streams[stream] else {
            if isQueued(stream) { return 0 }
            throw .local(.streamNotWritable, "stream \(stream) is not open", stream: stream)
        }
        guard record.state.canSend else {
            throw .local(.streamNotWritable, "stream \(stream) is closed for sending", stream: stream)
        }
        guard role == .client || record.sentHead else {
            throw .local(.streamNotWritable, "DATA before the response head", stream: stream)
        }
        let allowed = max(0, min(record.sendWindow, connectionSendWindow))
        let count = min(allowed, data.readableBytes)
        let finishes = endStream && count == data.readableBytes
        var remaining = count
        let frameSize = remoteSettings.maxFrameSize
        while remaining > 0 {
            let chunk = data.readSlice(length: min(remaining, frameSize))!
            remaining -= chunk.readableBytes
            HTTP2FrameEncoder.writeData(stream: stream, data: chunk, endStream: finishes && remaining == 0, into: &output)
        }
        if count == 0 && finishes {
            HTTP2FrameEncoder.writeData(stream: stream, data: Self.emptyBuffer, endStream: true, into: &output)
        }
        streams[active: stream].sendWindow -= count
        connectionSendWindow -= count
        if finishes {
            sentEndStream(stream)
        } else if data.readableBytes > 0 {
            markBlocked(stream)
        }
        return count
    }

    /// Resets a stream (cancels a request, abandons a response). Frames the peer already sent on
    /// it are discarded as they arrive. A queued stream is dropped without sending anything.
    /// Resetting a stream that is already closed does nothing.
    public mutating func resetStream(_ stream: HTTP2StreamID, code: HTTP2ErrorCode = .cancel) {
        guard phase != .closed else { return }
        if let index = queuedStreams[queuedStreamsHead...].firstIndex(where: { $0.id == stream }) {
            queuedStreams.remove(at: index)
            checkReadyToClose()
            return
        }
        guard streams.contains(stream) else { return }
        HTTP2FrameEncoder.writeRSTStream(stream: stream, code: code, into: &output)
        streams.remove(stream, resetLocally: true)
        streamRemoved()
    }

    /// Sends a PING; its ACK comes back as `pingAcknowledged` (for RTT or a health check).
    public mutating func sendPing(_ data: HTTP2PingData) throws(HTTP2Error) {
        try checkCanSend()
        HTTP2FrameEncoder.writePing(data, ack: false, into: &output)
    }

    /// Sends GOAWAY. With NO_ERROR the shutdown is graceful: streams already open finish (a server
    /// refuses newer ones), no new stream is opened, and `readyToClose` comes when none is left.
    /// Any other code ends the connection now. Returns the client streams still queued, which are
    /// dropped (never sent: safe to retry elsewhere).
    @discardableResult
    public mutating func goAway(code: HTTP2ErrorCode = .noError, debugData: ByteBuffer = ByteBuffer(capacity: 0)) -> [HTTP2StreamID] {
        guard phase != .closed else { return [] }
        let dropped = queuedStreams[queuedStreamsHead...].map(\.id)
        queuedStreams.removeAll()
        queuedStreamsHead = 0
        let last = min(goAwaySent ?? .maximum, highestPeerStreamID)
        HTTP2FrameEncoder.writeGoAway(lastStreamID: last, errorCode: code, debugData: debugData, into: &output)
        goAwaySent = last
        if code != .noError {
            phase = .closed
        } else {
            checkReadyToClose()
        }
        return dropped
    }

    // MARK: - Helpers

    func checkCanSend() throws(HTTP2Error) {
        guard phase != .closed else { throw .local(.connectionClosed, "the connection is closed") }
    }

    func checkPeerHeaderListSize(_ list: HPACKHeaderList) throws(HTTP2Error) {
        if let limit = remoteSettings.maxHeaderListSize, list.headerListSize > limit {
            throw .local(.headerListTooLargeForPeer, "\(list.headerListSize) octets, the peer accepts \(limit)")
        }
    }

    /// We sent END_STREAM on an active stream.
    mutating func sentEndStream(_ stream: HTTP2StreamID) {
        let state = streams[stream]!.state.afterSendingEndStream
        if state == .closed {
            streams.remove(stream, resetLocally: false)
            events.append(.streamClosed(stream))
            streamRemoved()
        } else {
            streams[active: stream].state = state
        }
    }

    mutating func writeHeaders(_ list: HPACKHeaderList, stream: HTTP2StreamID, endStream: Bool) {
        Self.encodeFieldBlock(list, stream: stream, endStream: endStream, maxFrameSize: remoteSettings.maxFrameSize,
                              encoder: &hpackEncoder, into: &output)
    }

    static func encodeFieldBlock(_ list: HPACKHeaderList, stream: HTTP2StreamID, endStream: Bool, maxFrameSize: Int,
                                 encoder: inout HPACKEncoder, into output: inout ByteBuffer) {
        HTTP2FrameEncoder.writeHeaderBlock(stream: stream, endStream: endStream, maxFrameSize: maxFrameSize,
                                           into: &output) { buffer in
            encoder.encode(list, into: &buffer)
        }
    }
}
