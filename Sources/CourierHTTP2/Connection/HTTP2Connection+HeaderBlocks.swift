import CourierCore
import CourierHPACK

// Field blocks: HEADERS (RFC 9113 §6.2) and CONTINUATION (§6.10) assembled into one block, HPACK
// decoded for every block, even for streams whose frames are discarded (§4.3), then delivered as
// a request (server), an interim or final response (client), or trailers (§8.1), after the field
// checks of §8.2 and §8.3 (`HTTP2FieldValidation`).
//
// Defences: a block's compressed size is capped (`maxHeaderBlockSize`) and so is its number of
// CONTINUATION frames (`maxContinuationFrames`): the CONTINUATION flood. The decoded list is capped
// by the HPACK decoder (`maxHeaderListSize`, `maxFieldSize`): the HPACK bomb; past that limit the
// block is still fully decoded, so only the stream fails.

extension HTTP2Connection {
    /// What to do with a complete field block on a stream.
    enum BlockDisposition {
        /// A stream in the table: trailers, or a response head (client).
        case existing
        /// Server: a new stream opened by this request.
        case open
        /// A stream we reset: decode (for HPACK) and discard.
        case discard
        /// Server: a new stream we refuse (after GOAWAY or over MAX_CONCURRENT_STREAMS).
        case refuse(HTTP2Error)
    }

    mutating func receiveHeaders(_ headers: HTTP2Frame.Headers, stream: HTTP2StreamID) throws(HTTP2Error) {
        let fragment = headers.fragment
        if headers.endHeaders {
            try completeFieldBlock(fragment, stream: stream, endStream: headers.endStream, priority: headers.priority)
            return
        }
        if fragment.readableBytes == 0 { try countEmptyFrame() }
        guard fragment.readableBytes <= configuration.maxHeaderBlockSize else {
            throw .connection(.headerBlockTooLarge, .enhanceYourCalm, "field block over \(configuration.maxHeaderBlockSize) octets",
                              frame: .headers)
        }
        blockBuffer.clear()
        blockBuffer.writeBuffer(fragment)
        pendingBlock = PendingHeaderBlock(stream: stream, endStream: headers.endStream, priority: headers.priority,
                                          continuations: 0)
    }

    mutating func receiveContinuation(_ continuation: HTTP2Frame.Continuation,
                                      block: PendingHeaderBlock) throws(HTTP2Error) {
        var block = block
        block.continuations += 1
        guard block.continuations <= configuration.maxContinuationFrames else {
            throw .connection(.tooManyContinuations, .enhanceYourCalm,
                              "over \(configuration.maxContinuationFrames) CONTINUATION frames", frame: .continuation)
        }
        if continuation.fragment.readableBytes == 0 && !continuation.endHeaders { try countEmptyFrame() }
        guard blockBuffer.readableBytes + continuation.fragment.readableBytes <= configuration.maxHeaderBlockSize else {
            throw .connection(.headerBlockTooLarge, .enhanceYourCalm, "field block over \(configuration.maxHeaderBlockSize) octets",
                              frame: .continuation)
        }
        blockBuffer.writeBuffer(continuation.fragment)
        guard continuation.endHeaders else {
            pendingBlock = block
            return
        }
        pendingBlock = nil
        let assembled = blockBuffer
        try completeFieldBlock(assembled, stream: block.stream, endStream: block.endStream, priority: block.priority)
    }

    /// Decodes a complete field block and acts on it.
    mutating func completeFieldBlock(_ block: ByteBuffer, stream: HTTP2StreamID, endStream: Bool,
                                     priority: HTTP2Priority?) throws(HTTP2Error) {
        let disposition = try blockDisposition(stream)
        var limitError: HPACKError?
        do {
            try hpackDecoder.decode(block, into: &fieldList)
        } catch where error.isLimitExceeded {
            limitError = error
        } catch {
            throw .connection(.compressionFailed, .compressionError, "", frame: .headers, hpack: error)
        }
        switch disposition {
        case .discard:
            return
        case .refuse(let error):
            try refuse(stream, because: error)
            return
        case .open, .existing:
            break
        }
        var failure: HTTP2Error?
        if let limitError {
            failure = .stream(stream, .headerListTooLarge, .protocolError, "field section over our limit", frame: .headers,
                              hpack: limitError)
        } else if priority?.dependency == stream {
            failure = .stream(stream, .selfDependency, .protocolError, frame: .headers)
        }
        if case .open = disposition {
            if let failure {
                try refuse(stream, because: failure)
            } else {
                try openPeerStream(stream, endStream: endStream)
            }
        } else if let failure {
            throw failure
        } else if role == .client {
            try receiveResponseHeaders(stream, endStream: endStream)
        } else {
            try receiveTrailers(stream, endStream: endStream)
        }
    }

    /// Where a field block on `stream` goes (§5.1, §5.1.1); connection errors are thrown.
    mutating func blockDisposition(_ stream: HTTP2StreamID) throws(HTTP2Error) -> BlockDisposition {
        // Only clients open streams: push is never accepted, so an even stream is never valid.
        guard stream.isClientInitiated else {
            throw .connection(.unexpectedServerStream, .protocolError,
                              role == .client ? "HEADERS on unpromised stream \(stream)" : "a client used even stream \(stream)",
                              frame: .headers)
        }
        switch classify(stream) {
        case .active:
            return .existing
        case .closed(recentlyReset: true):
            return .discard
        case .closed(recentlyReset: false) where role == .server:
            // A request on an identifier at or below one already used (§5.1.1).
            throw .connection(.streamIDNotIncreasing, .protocolError, "HEADERS on used stream \(stream)", frame: .headers)
        case .closed(recentlyReset: false):
            throw .connection(.streamClosed, .streamClosed, "HEADERS on closed stream \(stream)", frame: .headers)
        case .idle where role == .client:
            throw .connection(.idleStream, .protocolError, "HEADERS on idle stream \(stream)", frame: .headers)
        case .idle:
            highestPeerStreamID = stream
            if goAwaySent != nil {
                return .refuse(.stream(stream, .streamRefusedAfterGoAway, .refusedStream, frame: .headers))
            }
            if streams.peerCount >= configuration.maxConcurrentStreams {
                return .refuse(.stream(stream, .concurrentStreamsExceeded, .refusedStream,
                                       "over \(configuration.maxConcurrentStreams) streams", frame: .headers))
            }
            return .open
        }
    }

    /// Server: a request head opens a stream.
    mutating func openPeerStream(_ stream: HTTP2StreamID, endStream: Bool) throws(HTTP2Error) {
        let (summary, violation) = HTTP2FieldValidation.check(fieldList, kind: .request)
        if let violation {
            try refuse(stream, because: .stream(stream, .malformedMessage, .protocolError, violation, frame: .headers))
            return
        }
        if endStream, let length = summary.contentLength, length != 0 {
            try refuse(stream, because: .stream(stream, .contentLengthMismatch, .protocolError,
                                                "content-length \(length) without content", frame: .headers))
            return
        }
        var record = HTTP2StreamRecord(id: stream, state: endStream ? .halfClosedRemote : .open,
                                       sendWindow: remoteSettings.initialWindowSize,
                                       receiveWindow: localSettings.initialWindowSize, inbound: .body)
        record.remainingContentLength = summary.contentLength
        streams.insert(record)
        let head = HTTP2RequestHead(fields: HTTP2HeaderFields(list: fieldList, regularFieldsStart: summary.regularStart),
                                    methodIndex: summary.method!, schemeIndex: summary.scheme,
                                    authorityIndex: summary.authority, pathIndex: summary.path)
        events.append(.request(stream, head, endStream: endStream))
    }

    /// Client: an interim or final response head, or trailers.
    mutating func receiveResponseHeaders(_ stream: HTTP2StreamID, endStream: Bool) throws(HTTP2Error) {
        guard streams[stream]!.inbound == .awaitingHead else {
            try receiveTrailers(stream, endStream: endStream)
            return
        }
        let (summary, violation) = HTTP2FieldValidation.check(fieldList, kind: .response)
        if let violation { throw .stream(stream, .malformedMessage, .protocolError, violation, frame: .headers) }
        let head = HTTP2ResponseHead(status: summary.status,
                                     fields: HTTP2HeaderFields(list: fieldList, regularFieldsStart: summary.regularStart))
        if head.isInformational {
            // §8.1: an interim response never ends the stream.
            guard !endStream else {
                throw .stream(stream, .malformedMessage, .protocolError, "1xx response with END_STREAM", frame: .headers)
            }
            events.append(.informationalResponse(stream, head))
            return
        }
        let noContent = streams[stream]!.isHeadRequest || head.status == 204 || head.status == 304
        let expected = noContent ? 0 : summary.contentLength
        if endStream, let expected, expected != 0 {
            throw .stream(stream, .contentLengthMismatch, .protocolError, "content-length \(expected) without content",
                          frame: .headers)
        }
        streams[active: stream].inbound = .body
        streams[active: stream].remainingContentLength = expected
        events.append(.response(stream, head, endStream: endStream))
        if endStream { receivedEndStream(stream) }
    }

    /// Trailers (§8.1): END_STREAM, no pseudo-header fields, after the final head.
    mutating func receiveTrailers(_ stream: HTTP2StreamID, endStream: Bool) throws(HTTP2Error) {
        guard streams[stream]!.state.canReceive else {
            throw .stream(stream, .streamClosed, .streamClosed, "HEADERS after END_STREAM", frame: .headers)
        }
        guard endStream else {
            throw .stream(stream, .malformedMessage, .protocolError, "HEADERS after the head without END_STREAM",
                          frame: .headers)
        }
        let (_, violation) = HTTP2FieldValidation.check(fieldList, kind: .trailers)
        if let violation { throw .stream(stream, .malformedMessage, .protocolError, violation, frame: .headers) }
        if let remaining = streams[stream]!.remainingContentLength, remaining != 0 {
            throw .stream(stream, .contentLengthMismatch, .protocolError, "\(remaining) octets of content missing",
                          frame: .headers)
        }
        events.append(.trailers(stream, HTTP2HeaderFields(list: fieldList, regularFieldsStart: 0)))
        receivedEndStream(stream)
    }

    /// The peer sent END_STREAM on an active stream.
    mutating func receivedEndStream(_ stream: HTTP2StreamID) {
        let state = streams[stream]!.state.afterReceivingEndStream
        if state == .closed {
            streams.remove(stream, resetLocally: false)
            events.append(.streamClosed(stream))
            streamRemoved()
        } else {
            streams[active: stream].state = state
        }
    }
}
