import CourierCore

// Flow control (RFC 9113 §5.2, §6.9) and DATA (§6.1, §8.1.1).
//
// Receiving: DATA counts against the connection window and the stream window, padding included.
// Credit goes back to the peer only as the application reports DATA consumed (`consumed`), once
// half a window's worth has accumulated: a slow reader stops the peer, and what we buffer is
// bounded by the windows. Padding and DATA we discard (streams we reset) are credited at once.
//
// Sending: `sendData` (in +Commands) takes what both windows allow; WINDOW_UPDATE and a larger
// SETTINGS_INITIAL_WINDOW_SIZE reopen them, and streams that were held back get `windowOpened`.
// Windows may go negative after SETTINGS shrink them (§6.9.2); no window may exceed 2^31 − 1.

extension HTTP2Connection {
    mutating func receiveData(_ frame: HTTP2Frame.Data, stream: HTTP2StreamID) throws(HTTP2Error) {
        let length = frame.flowControlledLength
        guard length <= connectionReceiveWindow else {
            throw .connection(.flowControlViolation, .flowControlError,
                              "\(length) octets with \(connectionReceiveWindow) left on the connection", frame: .data)
        }
        connectionReceiveWindow -= length
        let content = frame.data.readableBytes
        if content == 0 && !frame.endStream { try countEmptyFrame() }
        switch classify(stream) {
        case .idle:
            throw .connection(.idleStream, .protocolError, "DATA on idle stream \(stream)", frame: .data)
        case .closed(recentlyReset: true):
            creditConnection(length)  // §5.1: discarded, but it still counts on the connection.
            return
        case .closed(recentlyReset: false):
            throw .connection(.streamClosed, .streamClosed, "DATA on closed stream \(stream)", frame: .data)
        case .active:
            break
        }
        var record = streams[stream]!
        var failure: HTTP2Error?
        if !record.state.canReceive {
            failure = .stream(stream, .streamClosed, .streamClosed, "DATA after END_STREAM", frame: .data)
        } else if length > record.receiveWindow {
            failure = .stream(stream, .flowControlViolation, .flowControlError,
                              "\(length) octets with \(record.receiveWindow) left on the stream", frame: .data)
        } else if record.inbound != .body {
            failure = .stream(stream, .malformedMessage, .protocolError, "DATA before the final response head", frame: .data)
        } else if let remaining = record.remainingContentLength, content > remaining || (frame.endStream && content != remaining) {
            failure = .stream(stream, .contentLengthMismatch, .protocolError,
                              "\(content) octets of DATA with \(remaining) expected", frame: .data)
        }
        if let failure {
            creditConnection(length)
            throw failure
        }
        record.receiveWindow -= length
        if let remaining = record.remainingContentLength { record.remainingContentLength = remaining - content }
        streams[active: stream] = record
        if length > content { consumed(stream, bytes: length - content) }  // padding: never seen by the application
        events.append(.data(stream, frame.data, endStream: frame.endStream))
        if frame.endStream { receivedEndStream(stream) }
    }

    /// Reports that the application processed `bytes` octets of DATA received on `stream`, so
    /// the peer may send that much more. Call it for every DATA octet delivered, also after the
    /// stream closed or was reset (the connection window still needs the credit). WINDOW_UPDATE
    /// frames go out once half of a window has been consumed.
    public mutating func consumed(_ stream: HTTP2StreamID, bytes: Int) {
        guard bytes > 0, phase != .closed else { return }
        creditConnection(bytes)
        guard var record = streams[stream], record.state.canReceive else { return }
        record.unacknowledgedConsumed += bytes
        let target = localSettings.initialWindowSize
        if record.unacknowledgedConsumed >= max(1, target / 2) {
            // Never above the window we advertise, whatever the application reports.
            let increment = min(record.unacknowledgedConsumed, target - record.receiveWindow)
            if increment > 0 {
                HTTP2FrameEncoder.writeWindowUpdate(stream: stream, increment: increment, into: &output)
                record.receiveWindow += increment
            }
            record.unacknowledgedConsumed = 0
        }
        streams[active: stream] = record
    }

    /// Returns `bytes` to the connection window, with a WINDOW_UPDATE once half of it is owed.
    mutating func creditConnection(_ bytes: Int) {
        connectionUnacknowledged += bytes
        guard connectionUnacknowledged >= configuration.connectionWindowSize / 2 else { return }
        let increment = min(connectionUnacknowledged, configuration.connectionWindowSize - connectionReceiveWindow)
        if increment > 0 {
            HTTP2FrameEncoder.writeWindowUpdate(stream: .root, increment: increment, into: &output)
            connectionReceiveWindow += increment
        }
        connectionUnacknowledged = 0
    }

    mutating func receiveWindowUpdate(_ increment: Int, stream: HTTP2StreamID) throws(HTTP2Error) {
        if increment < configuration.floodLimits.smallWindowIncrement {
            guard windowUpdateCounter.record(at: now, limit: configuration.floodLimits.smallWindowUpdates) else {
                throw .connection(.windowUpdateFlood, .enhanceYourCalm, "too many small WINDOW_UPDATE frames",
                                  frame: .windowUpdate)
            }
        }
        if stream.isRoot {
            guard connectionSendWindow + increment <= HTTP2Settings.maxWindowSize else {
                throw .connection(.windowOverflow, .flowControlError, "connection window above 2^31 - 1", frame: .windowUpdate)
            }
            connectionSendWindow += increment
            if connectionSendWindow > 0 { reportOpenedWindows() }
            return
        }
        switch classify(stream) {
        case .idle:
            throw .connection(.idleStream, .protocolError, "WINDOW_UPDATE on idle stream \(stream)", frame: .windowUpdate)
        case .closed:
            return  // §6.9: may arrive after we finished the stream.
        case .active:
            break
        }
        let window = streams[stream]!.sendWindow
        guard window + increment <= HTTP2Settings.maxWindowSize else {
            throw .stream(stream, .windowOverflow, .flowControlError, "stream window above 2^31 - 1", frame: .windowUpdate)
        }
        streams[active: stream].sendWindow = window + increment
        if streams[stream]!.blockedOnFlowControl && window + increment > 0 && connectionSendWindow > 0 {
            streams[active: stream].blockedOnFlowControl = false
            events.append(.windowOpened(stream))
        }
    }

    /// Reports `windowOpened` for held-back streams that can send again.
    mutating func reportOpenedWindows() {
        guard connectionSendWindow > 0, !blockedStreams.isEmpty else { return }
        var kept = 0
        for index in blockedStreams.indices {
            let id = blockedStreams[index]
            guard let record = streams[id], record.blockedOnFlowControl else { continue }
            if record.sendWindow > 0 {
                streams[active: id].blockedOnFlowControl = false
                events.append(.windowOpened(id))
            } else {
                blockedStreams[kept] = id
                kept += 1
            }
        }
        blockedStreams.removeLast(blockedStreams.count - kept)
    }

    /// Marks a stream held back by flow control.
    mutating func markBlocked(_ stream: HTTP2StreamID) {
        guard !streams[stream]!.blockedOnFlowControl else { return }
        streams[active: stream].blockedOnFlowControl = true
        blockedStreams.append(stream)
    }
}
