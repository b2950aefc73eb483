import CourierCore

// Error handling (RFC 9113 §5.4) and the flood defences (§10.5).
//
// A connection error sends GOAWAY with the last peer stream we processed and the error's code,
// then the connection is closed: further input is ignored, commands fail. A stream error sends
// RST_STREAM and forgets the stream (remembering it as reset, so frames in flight are discarded);
// the application hears of it only for streams it knows. Stream errors the peer provokes are
// counted, and so are control-frame replies queued between flushes: past their limits the
// connection fails with ENHANCE_YOUR_CALM.

extension HTTP2Connection {
    /// Ends the connection with a GOAWAY carrying `error`'s code.
    mutating func fail(_ error: HTTP2Error) {
        guard phase != .closed else { return }
        var debug = ByteBuffer(capacity: min(error.detail.utf8.count, 256))
        debug.writeBytes(error.detail.utf8.prefix(256))
        HTTP2FrameEncoder.writeGoAway(lastStreamID: highestPeerStreamID, errorCode: error.wireCode, debugData: debug,
                                      into: &output)
        if goAwaySent == nil { goAwaySent = highestPeerStreamID }
        phase = .closed
        pendingBlock = nil
        events.append(.connectionError(error))
    }

    /// Resets an active stream because the peer broke a rule on it.
    mutating func resetStream(_ stream: HTTP2StreamID, because error: HTTP2Error) throws(HTTP2Error) {
        HTTP2FrameEncoder.writeRSTStream(stream: stream, code: error.wireCode, into: &output)
        streams.remove(stream, resetLocally: true)
        events.append(.streamError(stream, error))
        streamRemoved()
        try countProvokedStreamError()
    }

    /// Resets a stream the application never saw (server: a refused or malformed new stream).
    mutating func refuse(_ stream: HTTP2StreamID, because error: HTTP2Error) throws(HTTP2Error) {
        HTTP2FrameEncoder.writeRSTStream(stream: stream, code: error.wireCode, into: &output)
        streams.rememberReset(stream)
        if error.wireCode == .refusedStream {
            try countControlFrame()
        } else {
            try countProvokedStreamError()
        }
    }

    mutating func countProvokedStreamError() throws(HTTP2Error) {
        try countControlFrame()
        guard streamErrorCounter.record(at: now, limit: configuration.floodLimits.provokedStreamErrors) else {
            throw .connection(.streamErrorFlood, .enhanceYourCalm, "too many stream errors")
        }
    }

    /// Counts a reply frame we queued; the peer must read them faster than it provokes them.
    mutating func countControlFrame() throws(HTTP2Error) {
        controlFramesSinceFlush += 1
        guard controlFramesSinceFlush <= configuration.floodLimits.maxQueuedControlFrames else {
            throw .connection(.controlFrameBacklog, .enhanceYourCalm, "too many replies queued")
        }
    }

    /// Counts a frame that carries nothing and ends nothing.
    mutating func countEmptyFrame() throws(HTTP2Error) {
        guard emptyFrameCounter.record(at: now, limit: configuration.floodLimits.emptyFrames) else {
            throw .connection(.emptyFrameFlood, .enhanceYourCalm, "too many empty frames")
        }
    }

    /// After a stream left the table: queued streams may start, and a going-away connection may be done.
    mutating func streamRemoved() {
        startQueuedStreams()
        checkReadyToClose()
    }

    /// Reports `readyToClose` once, when a GOAWAY was exchanged and no stream is left.
    mutating func checkReadyToClose() {
        guard !reportedReadyToClose, phase != .closed, isGoingAway, streams.isEmpty, queuedStreamCount == 0 else { return }
        reportedReadyToClose = true
        events.append(.readyToClose)
    }
}
