import CourierCore
import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking stream socket (TCP over IPv4/IPv6, or Unix domain) registered on one event loop.
///
/// Theory of operation. The connection lives on `loop`: every method must be called on that thread (use
/// `loop.execute` from elsewhere). Reads go into one reusable buffer that is handed to the handler, which
/// consumes what it can; unconsumed bytes stay for the next read. `pauseReading()` stops reading (the kernel
/// buffers fill and TCP flow control slows the peer) until `resumeReading()`: that is the backpressure path.
/// Writes are queued and flushed once per loop iteration with a single `sendmsg` of all queued buffers; when
/// the socket is full the rest waits for writability. Once queued bytes reach the high watermark `isWritable`
/// turns false, and stays false until they drain to the low watermark, when the handler hears
/// `connectionDidBecomeWritable`.
public final class StreamConnection: @unchecked Sendable {
    // Sendable proof: every stored `var` is read and written only on `loop`'s thread; each public method
    // starts with `loop.assertInEventLoop()`, and selector callbacks arrive on the loop thread.

    private enum State {
        case idle
        case connecting(deadline: ScheduledTask?, completion: (Result<Void, ReactorError>) -> Void)
        case open
        case closed
    }

    /// The loop this connection lives on.
    public let loop: EventLoop
    /// The peer's address.
    public let remoteAddress: SocketAddress
    /// Our local address, once connected.
    public private(set) var localAddress: SocketAddress?
    private let fd: Int32
    private let options: SocketOptions
    /// The socket descriptor (for diagnostics and leak checks).
    var descriptor: Int32 { fd }
    private var state: State = .idle
    private var registrationID: UInt32 = 0
    private var interest: SelectorInterest = []
    private var handler: (any StreamConnectionHandler)?

    private var readBuffer = ByteBuffer(capacity: 0)
    private var readSize: Int
    /// Reads in a row that filled at most half of `readSize`: two of them halve it.
    private var shortReads = 0
    private var readingPaused = false
    private var deliveringRead = false
    private var inputClosed = false
    private var connectCancelled: ReactorError?

    // The write queue skips Swift's run-time exclusivity checks (several accesses per write). Sound because
    // only the loop thread touches it and every access is instantaneous or spans only the filling of the
    // write's vectors; releasing a written buffer runs no code of ours. `readBuffer` keeps its checks: the
    // handler reads from it in place and may close the connection meanwhile.
    @exclusivity(unchecked) private var writeQueue: [ByteBuffer] = []
    @exclusivity(unchecked) private var writeQueueHead = 0
    @exclusivity(unchecked) private var pendingWriteBytes = 0
    private var flushScheduled = false
    private var waitingForWritable = false
    private var unwritable = false
    private var outputShutdownRequested = false
    private var outputClosed = false

    /// Bytes read from the socket so far.
    public private(set) var bytesRead: UInt64 = 0
    /// Bytes written to the socket so far.
    public private(set) var bytesWritten: UInt64 = 0

    init(fd: Int32, loop: EventLoop, remoteAddress: SocketAddress, options: SocketOptions) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = remoteAddress
        self.options = options
        readSize = max(1024, min(options.initialReadSize, options.maximumReadSize))
    }

    deinit {
        // A connection dropped without being started or closed still releases its descriptor.
        if case .closed = state {} else { SystemCalls.close(fd) }
    }

    /// Whether the connection is open (not yet closed by either side or by an error).
    public var isOpen: Bool {
        loop.assertInEventLoop()
        if case .open = state { return true }
        return false
    }

    /// False from the moment queued bytes reach the high watermark until they drain to the low one.
    public var isWritable: Bool {
        loop.assertInEventLoop()
        return !unwritable
    }

    /// Bytes queued but not yet handed to the kernel.
    public var queuedWriteBytes: Int {
        loop.assertInEventLoop()
        return pendingWriteBytes
    }

    // MARK: - Starting

    /// Attaches the handler and starts reading. Call once, on the loop, after connect or accept.
    public func start(handler: any StreamConnectionHandler) {
        loop.assertInEventLoop()
        self.handler = handler
        switch state {
        case .open where registrationID != 0:
            updateInterest()
        case .idle, .open:
            // Accepted sockets, and connects that completed at once (Unix domain sockets), register here.
            state = .open
            do {
                registrationID = try loop.register(fd: fd, interest: [.read], handler: self)
                interest = [.read]
                updateLocalAddress()
            } catch {
                close(error: error)
            }
        case .connecting, .closed:
            break
        }
    }

    /// Starts a non-blocking connect; `completion` runs on the loop with the outcome (not the handler).
    func beginConnect(timeout: Duration?, completion: @escaping (Result<Void, ReactorError>) -> Void) {
        loop.assertInEventLoop()
        if let connectCancelled {
            state = .closed
            SystemCalls.close(fd)
            completion(.failure(connectCancelled))
            return
        }
        var error: Int32 = 0
        do {
            let status = try remoteAddress.withSockAddr { address, length throws(ReactorError) -> Int32 in
                let status = Glibc.connect(fd, address, length)
                if status != 0 { error = courier_errno() }
                return status
            }
            if status == 0 {
                state = .open
                completion(.success(()))
                return
            }
        } catch let addressError {
            state = .closed
            SystemCalls.close(fd)
            completion(.failure(addressError))
            return
        }
        guard error == EINPROGRESS || error == EINTR else {
            state = .closed
            SystemCalls.close(fd)
            completion(.failure(ReactorError(errno: error, context: "connect(\(remoteAddress))")))
            return
        }
        var timer: ScheduledTask?
        if let timeout {
            timer = loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
                guard let self else { return }
                self.finishConnect(.failure(ReactorError(.timedOut, context: "connect(\(self.remoteAddress)) after \(timeout)")))
            }
        }
        state = .connecting(deadline: timer, completion: completion)
        do {
            registrationID = try loop.register(fd: fd, interest: [.write], handler: self)
            interest = [.write]
        } catch {
            finishConnect(.failure(error))
        }
    }

    /// Abandons a pending connect (the task awaiting it was cancelled, or another attempt won).
    func cancelConnect(_ error: ReactorError) {
        loop.assertInEventLoop()
        switch state {
        case .connecting: finishConnect(.failure(error))
        case .idle: connectCancelled = error
        case .open, .closed: break
        }
    }

    private func finishConnect(_ result: Result<Void, ReactorError>) {
        guard case .connecting(let timer, let completion) = state else { return }
        timer?.cancel()
        switch result {
        case .success:
            state = .open
            // Stay registered; interest changes to reading when the handler starts.
            setInterest([])
            updateLocalAddress()
        case .failure:
            if registrationID != 0 { loop.deregister(fd: fd, id: registrationID) }
            registrationID = 0
            state = .closed
            SystemCalls.close(fd)
        }
        completion(result)
    }

    private func updateLocalAddress() {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return }
        localAddress = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
        }
    }

    // MARK: - Reading

    /// Stops reading until `resumeReading()`; the peer is slowed by TCP flow control meanwhile.
    public func pauseReading() {
        loop.assertInEventLoop()
        readingPaused = true
        updateInterest()
    }

    /// Resumes reading after `pauseReading()`; bytes already buffered are delivered first.
    public func resumeReading() {
        loop.assertInEventLoop()
        guard readingPaused else { return }
        readingPaused = false
        updateInterest()
        // A handler may resume from inside a delivery (a consumer catching up as bytes are handed over); the
        // buffer is then lent to it and must not be touched here: check it once the loop gets back.
        if deliveringRead || readBuffer.readableBytes > 0 {
            loop.executeLocal { [weak self] in self?.deliverBuffered() }
        }
    }

    private func deliverBuffered() {
        guard case .open = state, !readingPaused, readBuffer.readableBytes > 0 else { return }
        deliverRead()
    }

    /// Hands the read buffer to the handler; the handler may close the connection meanwhile, so the buffer
    /// is released only after the callback returns (it is borrowed `inout` during the call).
    private func deliverRead() {
        guard let handler else { return }
        deliveringRead = true
        handler.connectionDidRead(self, &readBuffer)
        deliveringRead = false
        if case .closed = state { readBuffer = ByteBuffer(capacity: 0) }
    }

    private func readNow() {
        if readBuffer.readableBytes == 0 {
            // Storage much larger than the reads now made (left from a burst) is let go rather than kept, or
            // copied when body slices still share it: the next read allocates for its own size.
            if readBuffer.capacity > 2 * readSize { readBuffer = ByteBuffer(capacity: 0) } else { readBuffer.clear() }
        } else if readBuffer.readerIndex > 0 {
            readBuffer.discardReadBytes()
        }
        let fd = self.fd
        let wanted = readSize
        var outcome = SystemCalls.IOResult.wouldBlock
        var failure: ReactorError?
        readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { region in
            do throws(ReactorError) {
                outcome = try SystemCalls.io("read(\(remoteAddress))") { Glibc.read(fd, region.baseAddress, wanted) }
            } catch {
                failure = error
            }
            if case .processed(let count) = outcome { return count }
            return 0
        }
        if let failure {
            close(error: failure)
            return
        }
        switch outcome {
        case .wouldBlock:
            return
        case .processed(0):
            inputClosed = true
            updateInterest()
            if outputClosed {
                close(error: nil)
            } else {
                handler?.connectionDidReadEOF(self)
            }
        case .processed(let count):
            bytesRead &+= UInt64(count)
            if count == wanted {
                shortReads = 0
                if readSize < options.maximumReadSize { readSize = min(readSize * 2, options.maximumReadSize) }
            } else if count <= wanted / 2 && readSize > options.initialReadSize {
                shortReads += 1
                if shortReads == 2 {
                    shortReads = 0
                    readSize = max(readSize / 2, options.initialReadSize)
                }
            } else {
                shortReads = 0
            }
            deliverRead()
        }
    }

    // MARK: - Writing

    /// Queues `buffer` for sending; it goes out with everything else queued in this loop iteration.
    /// Ignored after the connection closed (the handler has been told).
    public func write(_ buffer: ByteBuffer) {
        loop.assertInEventLoop()
        guard buffer.readableBytes > 0, !outputShutdownRequested else { return }
        switch state {
        case .open, .connecting: break
        case .idle, .closed: return
        }
        writeQueue.append(buffer)
        pendingWriteBytes += buffer.readableBytes
        if pendingWriteBytes >= options.writeHighWatermark { unwritable = true }
        if !flushScheduled && !waitingForWritable {
            flushScheduled = true
            loop.flushAtEndOfIteration(self)
        }
    }

    /// Sends queued bytes now rather than at the end of the loop iteration.
    public func flush() {
        loop.assertInEventLoop()
        flushNow()
    }

    /// Closes our sending side (TCP FIN) once queued bytes are sent; reading continues.
    public func shutdownOutput() {
        loop.assertInEventLoop()
        guard !outputShutdownRequested else { return }
        outputShutdownRequested = true
        if pendingWriteBytes == 0 { finishOutputShutdown() }
    }

    private func finishOutputShutdown() {
        guard case .open = state, !outputClosed else { return }
        outputClosed = true
        Glibc.shutdown(fd, Int32(SHUT_WR))
        if inputClosed { close(error: nil) }
    }

    private func writeNow() {
        guard case .open = state else { return }
        let hadOutput = pendingWriteBytes > 0
        let iovecCapacity = 64
        while pendingWriteBytes > 0 {
            let fd = self.fd
            // The vectors live on the stack: no allocation per write.
            let outcome = withUnsafeTemporaryAllocation(of: iovec.self, capacity: iovecCapacity) { vectors -> Result<SystemCalls.IOResult, ReactorError> in
                var vectorCount = 0
                for index in writeQueueHead..<min(writeQueue.count, writeQueueHead + iovecCapacity) {
                    // The pointer outlives the closure: the storage is heap memory owned by the buffer held in
                    // `writeQueue`, unchanged until the sendmsg below returns.
                    writeQueue[index].withUnsafeReadableBytes { bytes in
                        vectors[vectorCount] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                                                     iov_len: bytes.count)
                    }
                    vectorCount += 1
                }
                do throws(ReactorError) {
                    if vectorCount == 1 {
                        // One buffer: plain send, the cheaper call.
                        let single = vectors[0]
                        return .success(try SystemCalls.io("send(\(remoteAddress))") {
                            send(fd, single.iov_base, single.iov_len, Int32(MSG_NOSIGNAL))
                        })
                    }
                    var message = msghdr()
                    message.msg_iov = vectors.baseAddress
                    message.msg_iovlen = vectorCount
                    return .success(try SystemCalls.io("sendmsg(\(remoteAddress))") {
                        sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                    })
                } catch {
                    return .failure(error)
                }
            }
            let result: SystemCalls.IOResult
            switch outcome {
            case .success(let value): result = value
            case .failure(let error):
                close(error: error)
                return
            }
            guard case .processed(var written) = result else {
                waitForWritable()
                return
            }
            bytesWritten &+= UInt64(written)
            pendingWriteBytes -= written
            while written > 0 {
                let head = writeQueue[writeQueueHead].readableBytes
                if written >= head {
                    written -= head
                    writeQueue[writeQueueHead] = ByteBuffer(capacity: 0)
                    writeQueueHead += 1
                } else {
                    writeQueue[writeQueueHead].moveReaderIndex(forwardBy: written)
                    written = 0
                }
            }
            if writeQueueHead == writeQueue.count {
                writeQueue.clearKeepingCapacity()
                writeQueueHead = 0
            } else if writeQueueHead > 64 {
                writeQueue.removeFirst(writeQueueHead)
                writeQueueHead = 0
            }
        }
        // Everything queued went out: an answer may follow soon, so the loop may poll for it.
        if hadOutput { loop.noteOutputDrained() }
        if waitingForWritable {
            waitingForWritable = false
            updateInterest()
        }
        if outputShutdownRequested { finishOutputShutdown() }
        notifyIfWritableAgain()
    }

    private func waitForWritable() {
        if !waitingForWritable {
            waitingForWritable = true
            updateInterest()
        }
        notifyIfWritableAgain()
    }

    private func notifyIfWritableAgain() {
        guard unwritable, pendingWriteBytes <= options.writeLowWatermark, case .open = state else { return }
        unwritable = false
        handler?.connectionDidBecomeWritable(self)
    }

    // MARK: - Closing

    /// Closes the connection at once; queued writes are dropped. The handler hears `connectionDidClose`
    /// with `error` (nil for a local, orderly close). Calling it again does nothing.
    public func close(error: ReactorError? = nil) {
        loop.assertInEventLoop()
        switch state {
        case .closed:
            return
        case .connecting:
            finishConnect(.failure(error ?? ReactorError(.cancelled, context: "connect(\(remoteAddress)) abandoned")))
            return
        case .idle, .open:
            break
        }
        state = .closed
        if registrationID != 0 { loop.deregister(fd: fd, id: registrationID) }
        registrationID = 0
        SystemCalls.close(fd)
        writeQueue.removeAll()
        writeQueueHead = 0
        pendingWriteBytes = 0
        if !deliveringRead { readBuffer = ByteBuffer(capacity: 0) }
        let handler = self.handler
        self.handler = nil
        handler?.connectionDidClose(self, error: error)
    }

    /// Closes the connection abortively: the peer receives a TCP RST instead of a FIN (SO_LINGER with a zero
    /// timeout), and bytes still queued here or unsent in the kernel are discarded. For servers and tests that
    /// must act like a peer that resets; the handler hears `connectionDidClose` as after `close`.
    public func reset() {
        loop.assertInEventLoop()
        if case .open = state {
            try? SystemCalls.setOption(fd, SOL_SOCKET, SO_LINGER, linger(l_onoff: 1, l_linger: 0))
        }
        close()
    }

    // MARK: - Interest

    private func updateInterest() {
        guard case .open = state, registrationID != 0 else { return }
        var wanted: SelectorInterest = []
        if handler != nil && !readingPaused && !inputClosed { wanted.insert(.read) }
        if waitingForWritable { wanted.insert(.write) }
        setInterest(wanted)
    }

    private func setInterest(_ wanted: SelectorInterest) {
        guard wanted != interest, registrationID != 0 else { return }
        do {
            try loop.reregister(fd: fd, id: registrationID, interest: wanted)
            interest = wanted
        } catch {
            close(error: error)
        }
    }
}

extension StreamConnection: SelectableHandler, LoopFlushable {
    /// Sends what was queued (called by the loop at the end of an iteration).
    func selectorEvent(_ event: SelectorEvent) {
        switch state {
        case .connecting:
            let error = SystemCalls.socketError(fd)
            if error == 0 && !event.failed {
                finishConnect(.success(()))
            } else {
                let code = error != 0 ? error : ECONNREFUSED
                finishConnect(.failure(ReactorError(errno: code, context: "connect(\(remoteAddress))")))
            }
        case .open:
            if event.writable && waitingForWritable {
                waitingForWritable = false
                writeNow()
                if case .open = state {} else { return }
            }
            if event.readable || event.failed {
                if !readingPaused && !inputClosed {
                    readNow()
                } else if event.failed {
                    let error = SystemCalls.socketError(fd)
                    close(error: error == 0 ? nil : ReactorError(errno: error, context: "socket \(remoteAddress)"))
                }
            }
        case .idle, .closed:
            break
        }
    }

    func loopShuttingDown() {
        close(error: ReactorError(.loopShutDown, context: "connection \(remoteAddress)"))
    }

    public func flushNow() {
        flushScheduled = false
        guard !waitingForWritable else { return }
        writeNow()
    }
}
