import CourierCore
import CourierReactor
import HTTPTypes

/// Sends one `TestResponse` through a `ResponseChannel`, applying its faults: delay before the head,
/// refusal and announcements, the interruption at its moment (drop, reset, stall, truncation) and the
/// slow drip of the body. Protocol-independent; the channel maps each step to HTTP/1.1 or HTTP/2.
///
/// An actor on the connection's loop: its methods run on the loop thread (where the channel lives) from
/// the request's task, and a body generator may call `write` from anywhere. Every wait ends when the
/// connection closes (the channel calls back), so a sender never outlives its connection for long.
actor ResponseSender: BodySink {
    nonisolated let channel: any ResponseChannel
    private let recorder: TestServerRecorder
    /// What the response answers (method and target), for error reports.
    private let method: HTTPRequest.Method
    private let target: String
    private let collectionLimit: Int
    private var plan = FaultPlan([])
    private var bodyBytesSent = 0
    private var interrupted = false
    private var suppressesBody = false

    nonisolated var unownedExecutor: UnownedSerialExecutor { channel.loop.serialExecutor.asUnownedSerialExecutor() }

    init(channel: any ResponseChannel, recorder: TestServerRecorder, method: HTTPRequest.Method, target: String,
         collectionLimit: Int) {
        self.channel = channel
        self.recorder = recorder
        self.method = method
        self.target = target
        self.collectionLimit = collectionLimit
    }

    /// Sends `response`; returns when it is complete, interrupted, or the connection is gone.
    func send(_ response: TestResponse) async {
        plan = FaultPlan(response.faults)
        if plan.delay > .zero {
            do { try await Task.sleep(for: plan.delay) } catch { return }
        }
        guard !channel.isClosed else { return }
        if plan.refuse {
            channel.refuse()
            return
        }
        if let goAway = plan.goAway { channel.goAway(lastStreamID: goAway.lastStreamID, errorCode: goAway.errorCode) }
        if plan.closeAfterResponse { channel.closeSilentlyAfterResponse() }
        if let interruption = plan.interruptsBeforeHead {
            await perform(interruption)
            return
        }
        var body = response.body
        let status = response.status
        suppressesBody = channel.isHeadRequest || status.code == 204 || status.code == 304
        if channel.needsKnownLength && body.length == nil && !plan.truncatesChunked && !suppressesBody {
            do {
                body = try await body.collected(limit: collectionLimit)
            } catch {
                await fail("collecting the body for an HTTP/1.0 client: \(error)", headSent: false)
                return
            }
            guard !channel.isClosed else { return }
        }
        do {
            for interim in response.informational {
                try channel.sendInformational(status: interim.status, fields: interim.headerFields)
            }
            let length = plan.truncatesChunked || response.trailers != nil ? nil : body.length
            try channel.sendHead(status: status, fields: response.headerFields, bodyLength: length,
                                 hasTrailers: response.trailers != nil)
        } catch {
            await fail("\(error)", headSent: false)
            return
        }
        if let interruption = plan.interruptsAfterHead {
            await perform(interruption)
            return
        }
        if !suppressesBody {
            do {
                switch body.content {
                case .empty: break
                case .bytes(let bytes): try await write(bytes)
                case .generated(let generate): try await generate(TestBodyWriter(sink: self))
                }
            } catch let error as TestServerError where error.code == .responseInterrupted || error.code == .connectionClosed {
                return
            } catch let error as TestServerError where error.code == .bodyNotWanted {
                // A HEAD response: the generator stopped at its first write.
            } catch {
                await fail("the body failed after \(bodyBytesSent) bytes: \(error)", headSent: true)
                return
            }
        }
        guard !interrupted, !channel.isClosed else { return }
        if let (interruption, _) = plan.interruption {
            // Due at the end of the body, or after more bytes than the body had: cut before the end.
            await perform(interruption)
            return
        }
        do {
            try channel.sendEnd(trailers: response.trailers)
        } catch {
            await fail("\(error)", headSent: true)
        }
    }

    /// Sends a body chunk, splitting it where a drip or an interruption asks, and waits while the client
    /// is not reading.
    func write(_ chunk: ByteBuffer) async throws {
        if interrupted { throw TestServerError(.responseInterrupted, "a fault interrupted the response") }
        if suppressesBody { throw TestServerError(.bodyNotWanted, "the response has no body (HEAD, 204 or 304)") }
        var rest = chunk
        while rest.readableBytes > 0 {
            guard !channel.isClosed else { throw TestServerError(.connectionClosed, "the connection closed") }
            var size = rest.readableBytes
            if let offset = plan.interruptionOffset { size = min(size, offset - bodyBytesSent) }
            if let drip = plan.drip { size = min(size, drip.bytes) }
            let piece = rest.readSlice(length: size)!
            try channel.sendBody(piece)
            bodyBytesSent += size
            if let offset = plan.interruptionOffset, bodyBytesSent >= offset, let (interruption, _) = plan.interruption {
                await perform(interruption)
                throw TestServerError(.responseInterrupted, "a fault interrupted the response")
            }
            if let drip = plan.drip {
                channel.flush()
                try await Task.sleep(for: drip.interval)
            } else if !channel.isWritable {
                let writable = await withUnsafeContinuation { continuation in
                    channel.whenWritable { continuation.resume(returning: $0) }
                }
                guard writable else { throw TestServerError(.connectionClosed, "the connection closed") }
            }
        }
    }

    /// Applies an interruption: what was written is flushed (and for a close, drained) first.
    private func perform(_ interruption: TestFault.Interruption) async {
        interrupted = true
        switch interruption {
        case .stall:
            channel.flush()
            await withUnsafeContinuation { continuation in channel.whenClosed { continuation.resume() } }
        case .drop, .reset, .truncateChunked:
            let drained = await withUnsafeContinuation { continuation in
                channel.whenDrained { continuation.resume(returning: $0) }
            }
            if drained { channel.interrupt(interruption) }
        }
    }

    /// The response cannot be sent as given: a 500 if nothing was sent yet, otherwise the response is
    /// abandoned (the connection closes so the client sees a short body).
    private func fail(_ reason: String, headSent: Bool) async {
        // A client that went away is not the handler's fault.
        guard !channel.isClosed else { return }
        recorder.handlerError("\(method) \(target): \(reason)")
        if headSent {
            channel.abort(reason: reason)
            return
        }
        let message = ByteBuffer(string: "the test server could not send the response: \(reason)\n")
        do {
            try channel.sendHead(status: .internalServerError, fields: [.contentType: "text/plain; charset=utf-8"],
                                 bodyLength: message.readableBytes, hasTrailers: false)
            if !channel.isHeadRequest { try channel.sendBody(message) }
            try channel.sendEnd(trailers: nil)
        } catch {
            channel.abort(reason: reason)
        }
    }
}
