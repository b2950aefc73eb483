import CourierCore
import CourierReactor
import CourierTLS

/// A `ByteStream` that runs TLS (a `TLSEngine`) over a socket.
///
/// Theory of operation. Ciphertext read from the socket is fed to the engine and decrypted into `plaintextIn`,
/// which is handed to the handler. Plaintext written by the handler is queued (small writes coalesced into one
/// buffer, large ones kept as they are) and encrypted once per loop iteration, in records of up to 16 KiB, so
/// many small HTTP/2 frames become few records and one system call. Encryption stops while the socket is not
/// writable, so memory stays bounded by the watermarks. Pausing reads also stops reading the socket, so
/// undecrypted ciphertext cannot pile up either. The handshake has its own deadline.
public final class TLSByteStream: ByteStream, @unchecked Sendable {
    // Sendable proof: every stored `var` is touched only on `connection.loop` (all entry points are
    // loop-confined by the ByteStream contract or are the connection's callbacks, which run on its loop).

    private enum State {
        case handshaking(timer: ScheduledTask?, completion: (Result<Void, TransportError>) -> Void)
        case open
        case closed
    }

    /// The socket underneath.
    public let connection: StreamConnection
    /// The TLS session.
    public let engine: TLSEngine
    private var state: State = .open
    private var handler: (any ByteStreamHandler)?
    private var plaintextIn = ByteBuffer(capacity: 0)
    /// Set while `plaintextIn` is lent to the handler.
    private var delivering = false
    private var outQueue: [ByteBuffer] = []
    private var coalesced = ByteBuffer(capacity: 0)
    private var pendingPlaintext = 0
    private var flushScheduled = false
    private var readingPaused = false
    private var unwritable = false
    private var inputEnded: EndOfInput?
    private var closeError: TransportError?
    private let writeHighWatermark = 256 * 1024
    private let writeLowWatermark = 64 * 1024

    private init(connection: StreamConnection, engine: TLSEngine) {
        self.connection = connection
        self.engine = engine
    }

    /// Runs a client handshake over `connection` (connected, not started) and returns the stream once it
    /// completed, or fails with a TLS error, `tlsHandshakeTimeout`, or the socket's error. Loop only.
    public static func connect(
        over connection: StreamConnection, context: TLSClientContext, serverHostname: String, port: Int,
        timeout: Duration
    ) async throws(TransportError) -> TLSByteStream {
        let engine: TLSEngine
        do {
            engine = try TLSEngine(context: context, serverHostname: serverHostname, port: port)
        } catch {
            connection.loop.execute { connection.close() }
            throw TransportError(error)
        }
        return try await handshake(connection: connection, engine: engine, timeout: timeout)
    }

    /// Runs a server handshake over an accepted connection (not started).
    public static func accept(
        over connection: StreamConnection, context: TLSServerContext, timeout: Duration
    ) async throws(TransportError) -> TLSByteStream {
        let engine: TLSEngine
        do {
            engine = try TLSEngine(context: context)
        } catch {
            connection.loop.execute { connection.close() }
            throw TransportError(error)
        }
        return try await handshake(connection: connection, engine: engine, timeout: timeout)
    }

    private static func handshake(connection: StreamConnection, engine: TLSEngine,
                                  timeout: Duration) async throws(TransportError) -> TLSByteStream {
        // The engine was just created and from here on is touched only on the connection's loop.
        nonisolated(unsafe) let engine = engine
        let result: Result<TLSByteStream, TransportError> = await withUnsafeContinuation { continuation in
            connection.loop.execute {
                let stream = TLSByteStream(connection: connection, engine: engine)
                stream.beginHandshake(timeout: timeout) { result in
                    continuation.resume(returning: result.map { stream })
                }
            }
        }
        return try result.get()
    }

    private func beginHandshake(timeout: Duration, completion: @escaping (Result<Void, TransportError>) -> Void) {
        let timer = connection.loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
            self?.failHandshake(TransportError(TLSError(code: .handshakeTimeout, detail: "no handshake within \(timeout)")))
        }
        state = .handshaking(timer: timer, completion: completion)
        connection.start(handler: self)
        continueHandshake()
    }

    private func continueHandshake() {
        guard case .handshaking(let timer, let completion) = state else { return }
        do {
            let progress = try engine.handshake()
            sendCiphertext()
            guard progress == .complete else { return }
            timer?.cancel()
            state = .open
            decryptAvailable()
            completion(.success(()))
        } catch {
            sendCiphertext()
            failHandshake(TransportError(error))
        }
    }

    private func failHandshake(_ error: TransportError) {
        guard case .handshaking(let timer, let completion) = state else { return }
        timer?.cancel()
        state = .closed
        closeError = error
        connection.flush()
        connection.close()
        completion(.failure(error))
    }

    // MARK: - ByteStream

    public var loop: EventLoop { connection.loop }
    public var remoteAddress: SocketAddress { connection.remoteAddress }
    public var negotiatedApplicationProtocol: String? { engine.negotiatedALPN }
    public var isWritable: Bool { !unwritable }

    public func start(handler: any ByteStreamHandler) {
        loop.assertInEventLoop()
        self.handler = handler
        deliver()
    }

    public func write(_ buffer: ByteBuffer) {
        guard case .open = state, buffer.readableBytes > 0 else { return }
        if buffer.readableBytes >= 16 * 1024 {
            if coalesced.readableBytes > 0 {
                outQueue.append(coalesced)
                coalesced = ByteBuffer(capacity: 0)
            }
            outQueue.append(buffer)
        } else {
            // Room for a typical request head; the buffer grows when more small writes follow.
            if coalesced.capacity == 0 { coalesced = ByteBuffer(capacity: max(4 * 1024, buffer.readableBytes)) }
            coalesced.writeBuffer(buffer)
        }
        pendingPlaintext += buffer.readableBytes
        if pendingPlaintext >= writeHighWatermark { unwritable = true }
        if !flushScheduled {
            flushScheduled = true
            loop.flushAtEndOfIteration(self)
        }
    }

    public func flush() {
        flushNow()
        connection.flush()
    }

    public func pauseReading() {
        readingPaused = true
        connection.pauseReading()
    }

    public func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        connection.resumeReading()
        // Resumed from inside a delivery, the buffer is lent to the handler: check it once the loop gets back.
        if delivering || plaintextIn.readableBytes > 0 || inputEnded != nil {
            loop.executeLocal { [weak self] in self?.deliver() }
        }
    }

    public func close(error: TransportError?) {
        switch state {
        case .closed:
            return
        case .handshaking:
            failHandshake(error ?? TransportError(.cancelled, "closed during the TLS handshake"))
            return
        case .open:
            break
        }
        closeError = error
        encryptQueued()
        if engine.close() { sendCiphertext() }
        connection.flush()
        connection.close()
    }

    // MARK: - Reading

    private func decryptAvailable() {
        // One allocation for all the plaintext the ciphertext at hand can give: the reads below append, and a
        // buffer grown between them would copy what they produced.
        let bound = engine.plaintextBound
        if bound > plaintextIn.writableBytes { plaintextIn.reserveCapacity(minimumWritableBytes: bound) }
        while true {
            let result: TLSReadResult
            do {
                result = try engine.readPlaintext(into: &plaintextIn)
            } catch {
                sendCiphertext()
                close(error: TransportError(error))
                return
            }
            switch result {
            case .read:
                if engine.hasInputToProcess { continue }
                sendCiphertext()
                return
            case .wantRead:
                sendCiphertext()
                return
            case .closed(let reason):
                sendCiphertext()
                inputEnded = reason == .closeNotify ? .clean : .truncated
                return
            }
        }
    }

    private func deliver() {
        guard case .open = state, !readingPaused, let handler else { return }
        if plaintextIn.readableBytes > 0 {
            delivering = true
            handler.streamDidRead(&plaintextIn)
            delivering = false
            // Emptied, the buffer is let go (the handler may keep slices of it): the next read allocates one
            // sized to what arrived, so an idle connection holds no plaintext memory.
            if plaintextIn.readableBytes == 0 { plaintextIn = ByteBuffer(capacity: 0) } else { plaintextIn.discardReadBytes() }
        }
        guard case .open = state, !readingPaused, let end = inputEnded else { return }
        inputEnded = nil
        handler.streamDidReadEOF(end)
    }

    // MARK: - Writing

    private func encryptQueued() {
        while connection.isWritable {
            var buffer: ByteBuffer
            if !outQueue.isEmpty {
                buffer = outQueue.removeFirst()
            } else if coalesced.readableBytes > 0 {
                buffer = coalesced
                coalesced = ByteBuffer(capacity: 0)
            } else {
                break
            }
            while buffer.readableBytes > 0 {
                let consumed: Int
                do {
                    consumed = try engine.writePlaintext(buffer)
                } catch {
                    sendCiphertext()
                    close(error: TransportError(error))
                    return
                }
                buffer.moveReaderIndex(forwardBy: consumed)
                pendingPlaintext -= consumed
                sendCiphertext()
                if consumed == 0 && !connection.isWritable { break }
            }
            if buffer.readableBytes > 0 {
                outQueue.insert(buffer, at: 0)
                break
            }
        }
        if unwritable && pendingPlaintext <= writeLowWatermark {
            unwritable = false
            handler?.streamDidBecomeWritable()
        }
    }

    /// Hands the ciphertext OpenSSL produced to the socket, in a buffer of its size: a small request's
    /// records take a few hundred bytes until they are sent, not a bulk transfer's 64 KiB.
    private func sendCiphertext() {
        let pending = engine.pendingOutboundCiphertext
        guard pending > 0 else { return }
        var ciphertext = ByteBuffer(capacity: pending)
        engine.outboundCiphertext(into: &ciphertext)
        connection.write(ciphertext)
    }
}

extension TLSByteStream: StreamConnectionHandler {
    public func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        switch state {
        case .handshaking:
            engine.feedCiphertext(buffer)
            continueHandshake()
        case .open:
            // OpenSSL decrypts straight from the read buffer; only a partial record at its end is kept.
            buffer.withUnsafeReadableBytes { bytes in engine.withCiphertext(bytes) { decryptAvailable() } }
            deliver()
        case .closed:
            break
        }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }

    public func connectionDidReadEOF(_ connection: StreamConnection) {
        engine.receivedEndOfStream()
        switch state {
        case .handshaking:
            continueHandshake()
            failHandshake(TransportError(TLSError(code: .closedDuringHandshake, detail: "the peer closed during the handshake")))
        case .open:
            decryptAvailable()
            if inputEnded == nil { inputEnded = .truncated }
            deliver()
        case .closed:
            break
        }
    }

    public func connectionDidBecomeWritable(_ connection: StreamConnection) {
        encryptQueued()
    }

    public func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {
        switch state {
        case .handshaking:
            failHandshake(error.map { TransportError($0) } ?? TransportError(.connectionClosed, "closed during the TLS handshake"))
            return
        case .open, .closed:
            state = .closed
        }
        let handler = self.handler
        self.handler = nil
        handler?.streamDidClose(error: closeError ?? error.map { TransportError($0) })
    }
}

extension TLSByteStream: LoopFlushable {
    /// Encrypts what was written during this loop iteration.
    public func flushNow() {
        flushScheduled = false
        encryptQueued()
    }
}
