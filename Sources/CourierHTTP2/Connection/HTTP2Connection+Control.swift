import CourierCore

// Control frames: PING (RFC 9113 §6.7), GOAWAY (§6.8), RST_STREAM (§6.4) and PRIORITY (§6.3, parsed
// and ignored, §5.3.2). PINGs are answered at once; a GOAWAY closes our streams above its last
// stream identifier and reports them, with our queued streams, as never processed (safe to retry
// on a new connection, §8.7); a RST_STREAM from the peer ends the stream without a reply (§5.4.2).
// Server role: peer resets are counted against the rapid-reset limit.

extension HTTP2Connection {
    mutating func receivePing(_ ping: HTTP2Frame.Ping) throws(HTTP2Error) {
        if ping.ack {
            if let keepAlive = keepAlivePing, keepAlive.data == ping.data { keepAlivePing = nil }
            events.append(.pingAcknowledged(ping.data))
            return
        }
        guard pingCounter.record(at: now, limit: configuration.floodLimits.pings) else {
            throw .connection(.pingFlood, .enhanceYourCalm, "too many PING frames", frame: .ping)
        }
        HTTP2FrameEncoder.writePing(ping.data, ack: true, into: &output)
        try countControlFrame()
    }

    mutating func receiveGoAway(_ goAway: HTTP2Frame.GoAway) {
        // §6.8: the last stream identifier never rises; keep the lowest seen.
        let last = min(goAwayReceived ?? .maximum, goAway.lastStreamID)
        goAwayReceived = last
        var unprocessed = streams.removeLocal(above: last)
        for queued in queuedStreams[queuedStreamsHead...] { unprocessed.append(queued.id) }
        queuedStreams.removeAll()
        queuedStreamsHead = 0
        events.append(.goAway(HTTP2GoAway(lastStreamID: last, errorCode: goAway.errorCode, debugData: goAway.debugData,
                                          unprocessedStreams: unprocessed)))
        checkReadyToClose()
    }

    mutating func receiveReset(_ code: HTTP2ErrorCode, stream: HTTP2StreamID) throws(HTTP2Error) {
        switch classify(stream) {
        case .idle:
            throw .connection(.idleStream, .protocolError, "RST_STREAM on idle stream \(stream)", frame: .rstStream)
        case .closed:
            return  // §5.1: may cross our END_STREAM or RST_STREAM.
        case .active:
            break
        }
        streams.remove(stream, resetLocally: false)
        events.append(.streamReset(stream, code))
        streamRemoved()
        if role == .server {
            guard peerResetCounter.record(at: now, limit: configuration.floodLimits.peerResets) else {
                throw .connection(.resetFlood, .enhanceYourCalm, "too many streams reset", frame: .rstStream)
            }
        }
    }

    mutating func receivePriority(stream: HTTP2StreamID) throws(HTTP2Error) {
        guard priorityCounter.record(at: now, limit: configuration.floodLimits.priorityFrames) else {
            throw .connection(.priorityFlood, .enhanceYourCalm, "too many PRIORITY frames", frame: .priority)
        }
    }
}
