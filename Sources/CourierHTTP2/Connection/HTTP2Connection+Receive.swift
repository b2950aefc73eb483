import CourierCore

// Receiving: the connection preface (RFC 9113 §3.4), frame dispatch (§4.1, §5.5), field-block
// sequencing (§4.3, §6.10) and the classification of streams as idle, active or closed (§5.1,
// §5.1.1). Frames are decoded lazily, one per step, until one produces an event.

extension HTTP2Connection {
    static let emptyBuffer = ByteBuffer(capacity: 0)

    /// Hands received bytes to the connection; then call `nextEvent()` until it returns nil.
    /// Bytes are adopted without copying when nothing is pending.
    public mutating func receive(_ bytes: ByteBuffer) {
        guard phase != .closed else { return }
        HTTP2FrameDecoder.append(bytes, to: &inbound)
    }

    /// The next event produced by the bytes given to `receive(_:)`, or nil when more bytes are
    /// needed (or the connection is closed and every event was delivered).
    public mutating func nextEvent() -> HTTP2Event? {
        if let event = events.pop() { return event }
        var buffer = inbound
        inbound = Self.emptyBuffer
        defer { inbound = buffer }
        return nextEvent(from: &buffer)
    }

    /// The next event, decoding frames straight from the driver's `buffer`: complete frames are
    /// consumed (their DATA and field blocks stay views of it), a partial frame is left for the
    /// driver to complete with more bytes. Returns nil when `buffer` holds no complete frame.
    public mutating func nextEvent(from buffer: inout ByteBuffer) -> HTTP2Event? {
        while true {
            if let event = events.pop() { return event }
            guard phase != .closed else { return nil }
            do throws(HTTP2Error) {
                if phase == .awaitingPreface {
                    guard try HTTP2ConnectionPreface.consume(from: &buffer) else { return nil }
                    phase = .awaitingSettings
                }
                guard let frame = try HTTP2FrameDecoder.decodeFrame(from: &buffer,
                                                                     maxFrameSize: configuration.maxFrameSize) else {
                    return nil
                }
                receivedFrameSinceTick = true
                try process(frame)
            } catch {
                handle(error)
            }
        }
    }

    /// Routes an error thrown while processing input: connection errors end the connection;
    /// stream errors reset the stream (inside a field block every error is a connection error).
    mutating func handle(_ error: HTTP2Error) {
        guard case .stream(let id) = error.scope, pendingBlock == nil else {
            if error.scope == .connection {
                fail(error)
            } else {
                fail(.connection(.unexpectedFrame, .protocolError, "frame inside a field block", frame: error.frameType))
            }
            return
        }
        switch classify(id) {
        case .active:
            do throws(HTTP2Error) { try resetStream(id, because: error) } catch { fail(error) }
        case .idle where error.frameType == .windowUpdate:
            fail(.connection(.idleStream, .protocolError, "WINDOW_UPDATE on idle stream \(id)", frame: .windowUpdate))
        case .idle, .closed:
            // PRIORITY errors on streams that are not active: nothing to reset; PRIORITY is ignored.
            break
        }
    }

    mutating func process(_ frame: HTTP2Frame) throws(HTTP2Error) {
        if let block = pendingBlock {
            guard case .continuation(let continuation) = frame.payload, frame.streamID == block.stream else {
                throw .connection(.unexpectedFrame, .protocolError,
                                  "\(frame.type) on stream \(frame.streamID) inside the field block of stream \(block.stream)",
                                  frame: frame.type)
            }
            try receiveContinuation(continuation, block: block)
            return
        }
        if phase == .awaitingSettings {
            guard case .settings(let settings) = frame.payload, !settings.ack else {
                throw .connection(.unexpectedFrame, .protocolError, "the peer's first frame must be SETTINGS",
                                  frame: frame.type)
            }
        }
        switch frame.payload {
        case .data(let data):
            try receiveData(data, stream: frame.streamID)
        case .headers(let headers):
            try receiveHeaders(headers, stream: frame.streamID)
        case .priority:
            try receivePriority(stream: frame.streamID)
        case .rstStream(let code):
            try receiveReset(code, stream: frame.streamID)
        case .settings(let settings):
            try receiveSettings(settings)
        case .pushPromise:
            // We send SETTINGS_ENABLE_PUSH = 0 before any request, and a server can only push on a
            // request's stream, so a PUSH_PROMISE always comes after the server applied it (§6.5.2, §8.4).
            throw .connection(.pushNotAccepted, .protocolError,
                              role == .client ? "push is disabled" : "a client cannot push", frame: .pushPromise)
        case .ping(let ping):
            try receivePing(ping)
        case .goAway(let goAway):
            receiveGoAway(goAway)
        case .windowUpdate(let increment):
            try receiveWindowUpdate(Int(increment), stream: frame.streamID)
        case .continuation:
            throw .connection(.unexpectedFrame, .protocolError, "CONTINUATION without HEADERS", frame: .continuation)
        case .unknown:
            break  // §4.1, §5.5: frames of unknown types are ignored.
        }
    }

    /// A stream as the peer's frame finds it.
    enum StreamStatus {
        /// Open or half-closed, in the table.
        case active
        /// Never used (above every identifier its initiator used).
        case idle
        /// Used and finished; `recentlyReset` when we reset it (frames in flight are then expected).
        case closed(recentlyReset: Bool)
    }

    func classify(_ stream: HTTP2StreamID) -> StreamStatus {
        if streams.contains(stream) { return .active }
        let highest = streams.isLocal(stream) ? highestLocalStreamID : highestPeerStreamID
        if stream > highest { return .idle }
        return .closed(recentlyReset: streams.wasRecentlyReset(stream))
    }
}
