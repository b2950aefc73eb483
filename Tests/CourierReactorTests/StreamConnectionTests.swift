import Testing
import CourierCore
import CourierTestSupport
@testable import CourierReactor
#if canImport(Glibc)
import Glibc
#endif

@Suite struct StreamConnectionTests {
    @Test func echoOverOneConnection() async throws {
        let loop = try EventLoop(name: "test-echo")
        defer { loop.syncShutdown() }
        let server = try startEchoServer(on: loop)
        defer { server.close() }
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let echoed = try await withTimeout { try await roundTrip(payload, to: server.localAddress, on: loop) }
        #expect(echoed == payload)
    }

    @Test func echoOverOneThousandConcurrentConnections() async throws {
        let group = try EventLoopGroup(loopCount: 2, name: "test-echo1k")
        defer { group.syncShutdown() }
        let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: group.loops[0],
                                       childLoops: group.loops) { $0.start(handler: EchoHandler()) }
        defer { server.close() }
        let mismatches = try await withTimeout(.seconds(60)) {
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                for index in 0..<1000 {
                    tasks.addTask {
                        let payload = Array("connection \(index) says hello".utf8)
                        let echoed = try await roundTrip(payload, to: server.localAddress, on: group.next())
                        return echoed == payload
                    }
                }
                var mismatches = 0
                for try await matched in tasks where !matched { mismatches += 1 }
                return mismatches
            }
        }
        #expect(mismatches == 0)
    }

    @Test func echoOverIPv6() async throws {
        let loop = try EventLoop(name: "test-echo6")
        defer { loop.syncShutdown() }
        let server = try startEchoServer(on: loop, at: SocketAddress(ipAddress: "::1", port: 0))
        defer { server.close() }
        #expect(server.localAddress.isIPv6)
        let echoed = try await withTimeout { try await roundTrip(Array("six".utf8), to: server.localAddress, on: loop) }
        #expect(echoed == Array("six".utf8))
    }

    @Test func echoOverUnixDomainSocket() async throws {
        let loop = try EventLoop(name: "test-unix")
        defer { loop.syncShutdown() }
        let path = "/tmp/courier-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let server = try startEchoServer(on: loop, at: .unix(path: path))
        defer { server.close() }
        let echoed = try await withTimeout { try await roundTrip(Array("over unix".utf8), to: .unix(path: path), on: loop) }
        #expect(echoed == Array("over unix".utf8))
    }

    @Test func refusedConnectIsATypedError() async throws {
        let loop = try EventLoop(name: "test-refused")
        defer { loop.syncShutdown() }
        // Bind then close a listener to get a port nobody listens on.
        let listener = try startEchoServer(on: loop)
        let address = listener.localAddress
        listener.close()
        try await loop.submit {}
        let error = await #expect(throws: ReactorError.self) {
            try await withTimeout { _ = try await StreamConnection.connect(to: address, on: loop, timeout: .seconds(5)) }
        }
        #expect(error?.isConnectionRefused == true)
        #expect(error?.errno == ECONNREFUSED)
    }

    @Test func connectTimesOutAgainstAFullBacklog() async throws {
        let loop = try EventLoop(name: "test-timeout")
        defer { loop.syncShutdown() }
        let silent = try SilentListener(host: "127.0.0.1")
        let error = await #expect(throws: ReactorError.self) {
            try await withTimeout {
                _ = try await StreamConnection.connect(to: silent.address, on: loop, timeout: .milliseconds(300))
            }
        }
        #expect(error?.isTimeout == true)
        #expect(try await loop.submit { loop.registrationCount } == 0)
    }

    @Test func cancellingTheTaskAbandonsTheConnect() async throws {
        let loop = try EventLoop(name: "test-cancel-connect")
        defer { loop.syncShutdown() }
        let silent = try SilentListener(host: "127.0.0.1")
        let task = Task {
            try await StreamConnection.connect(to: silent.address, on: loop, timeout: .seconds(60))
        }
        try await loop.submit {}
        task.cancel()
        let result = try await withTimeout { await task.result }
        #expect(throws: ReactorError.self) { try result.get() }
        #expect(try await loop.submit { loop.registrationCount } == 0)
    }

    @Test func halfCloseLetsThePeerAnswerAfterOurFIN() async throws {
        let loop = try EventLoop(name: "test-halfclose")
        defer { loop.syncShutdown() }
        // A server that only answers once the client finished sending.
        final class AnswerAtEOF: StreamConnectionHandler {
            var received = 0
            func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
                received += buffer.readableBytes
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            func connectionDidReadEOF(_ connection: StreamConnection) {
                connection.write(ByteBuffer(string: "got \(received) bytes"))
                connection.shutdownOutput()
            }
            func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
        }
        let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) {
            $0.start(handler: AnswerAtEOF())
        }
        defer { server.close() }
        let answer = try await withTimeout { try await roundTrip([UInt8](repeating: 1, count: 5000), to: server.localAddress, on: loop) }
        #expect(String(decoding: answer, as: UTF8.self) == "got 5000 bytes")
    }

    @Test func pausedReadingDeliversNothingUntilResumed() async throws {
        let loop = try EventLoop(name: "test-pause")
        defer { loop.syncShutdown() }
        let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            final class Sender: StreamConnectionHandler {
                func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {}
                func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
            }
            connection.start(handler: Sender())
            connection.write(ByteBuffer(repeating: 7, count: 1000))
            connection.shutdownOutput()
        }
        defer { server.close() }
        let client = try await withTimeout { try await StreamConnection.connect(to: server.localAddress, on: loop) }
        let counts = try await withTimeout { () -> (Int, Int) in
            await withCheckedContinuation { continuation in
                loop.execute {
                    let handler = CollectingHandler(expected: 1000) { handler in
                        continuation.resume(returning: (0, handler.count))
                    }
                    client.start(handler: handler)
                    client.pauseReading()
                    // Give the server's bytes time to arrive in our kernel buffer, then check and resume.
                    _ = loop.scheduleLocal(at: SystemClock.now() + .milliseconds(100)) {
                        let countWhilePaused = handler.count
                        #expect(countWhilePaused == 0)
                        client.resumeReading()
                    }
                }
            }
        }
        #expect(counts.1 == 1000)
        try await loop.submit { client.close() }
    }

    @Test func oneHundredMegabytesWithBoundedMemory() async throws {
        // In a child process (an exit test): resident memory then counts this transfer only, not the suites
        // running in parallel.
        await #expect(processExitsWith: .success) {
            let loop = try EventLoop(name: "test-bulk")
            defer { loop.syncShutdown() }
            let total = 100 * 1024 * 1024
            let chunk = ByteBuffer(repeating: 0x5a, count: 64 * 1024)
            final class MaxTracker: Sendable { let value = Locked(0) }
            let maxQueued = MaxTracker()
            // The sender writes only while the connection is writable: memory stays at the watermark.
            final class BulkSender: StreamConnectionHandler {
                let chunk: ByteBuffer
                var remaining: Int
                let maxQueued: MaxTracker
                init(chunk: ByteBuffer, total: Int, maxQueued: MaxTracker) {
                    self.chunk = chunk; self.remaining = total; self.maxQueued = maxQueued
                }
                func pump(_ connection: StreamConnection) {
                    while remaining > 0 && connection.isWritable {
                        let slice = chunk.getSlice(at: 0, length: min(remaining, chunk.readableBytes))!
                        remaining -= slice.readableBytes
                        connection.write(slice)
                        let queued = connection.queuedWriteBytes
                        maxQueued.value.withLock { $0 = max($0, queued) }
                        if !connection.isWritable { connection.flush() }
                    }
                    if remaining == 0 { connection.shutdownOutput() }
                }
                func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {}
                func connectionDidBecomeWritable(_ connection: StreamConnection) { pump(connection) }
                func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
            }
            let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
                let sender = BulkSender(chunk: chunk, total: total, maxQueued: maxQueued)
                connection.start(handler: sender)
                sender.pump(connection)
            }
            defer { server.close() }
            let rssBefore = residentBytes()
            let client = try await withTimeout { try await StreamConnection.connect(to: server.localAddress, on: loop) }
            let start = SystemClock.now()
            let received = try await withTimeout(.seconds(120)) { () -> Int in
                await withCheckedContinuation { continuation in
                    loop.execute {
                        client.start(handler: CollectingHandler(expected: Int.max, keepBytes: false) { handler in
                            client.close()
                            continuation.resume(returning: handler.count)
                        })
                    }
                }
            }
            let seconds = (SystemClock.now() - start).secondsDouble
            let rssGrowth = residentBytes() - rssBefore
            print("100 MB over one loopback socket: \(Int(Double(total) / seconds / 1e6)) MB/s, RSS growth \(rssGrowth / 1024) KiB")
            #expect(received == total)
            #expect(maxQueued.value.withLock { $0 } <= 256 * 1024 + 64 * 1024)
            #expect(rssGrowth < 32 * 1024 * 1024)
        }
    }

    /// Reads grow with a burst and shrink after it: small messages that follow a large transfer are read into
    /// small buffers again instead of the burst's 256 KiB (which every body slice would keep alive).
    @Test func readBuffersShrinkAfterABurst() async throws {
        let loop = try EventLoop(name: "test-read-size")
        defer { loop.syncShutdown() }
        // Answers the first byte it reads with 1 MiB, every later one with 100 bytes.
        final class Answerer: StreamConnectionHandler {
            var first = true
            func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
                for _ in 0..<buffer.readableBytes {
                    connection.write(ByteBuffer(repeating: 1, count: first ? 1 << 20 : 100))
                    first = false
                }
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            }
            func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
        }
        // Asks for the burst, then for 30 small answers one at a time; notes each delivery's buffer capacity.
        final class Asker: StreamConnectionHandler {
            var expected = 1 << 20
            var received = 0
            var answers = 0
            var capacities: [Int] = []
            let done: ([Int]) -> Void
            init(done: @escaping ([Int]) -> Void) { self.done = done }
            func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
                capacities.append(buffer.capacity)
                received += buffer.readableBytes
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                guard received == expected else { return }
                received = 0
                expected = 100
                answers += 1
                if answers == 31 { return done(capacities) }
                connection.write(ByteBuffer(repeating: 2, count: 1))
            }
            func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
        }
        let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            connection.start(handler: Answerer())
        }
        defer { server.close() }
        let client = try await withTimeout { try await StreamConnection.connect(to: server.localAddress, on: loop) }
        let capacities = try await withTimeout { () -> [Int] in
            await withCheckedContinuation { continuation in
                loop.execute {
                    client.start(handler: Asker { continuation.resume(returning: $0) })
                    client.write(ByteBuffer(repeating: 2, count: 1))
                }
            }
        }
        #expect(capacities.max()! >= 64 * 1024, "the burst's reads did not grow: \(capacities)")
        #expect(capacities.last! <= 8 * 1024, "capacities: \(capacities)")
        try await loop.submit { client.close() }
    }

    /// A handler may pause and resume reading from inside `connectionDidRead` (a consumer catching up as
    /// bytes are handed over): the buffer it is lent must not be touched meanwhile, and bytes left in it are
    /// delivered afterwards.
    @Test func resumingFromInsideADeliveryIsSafe() async throws {
        let loop = try EventLoop(name: "test-reentrant")
        defer { loop.syncShutdown() }
        let server = try startEchoServer(on: loop)
        defer { server.close() }
        let client = try await withTimeout { try await StreamConnection.connect(to: server.localAddress, on: loop) }
        let received = try await withTimeout { () -> Int in
            await withCheckedContinuation { continuation in
                loop.execute {
                    final class Reentrant: StreamConnectionHandler {
                        var count = 0
                        let done: (Int) -> Void
                        init(done: @escaping (Int) -> Void) { self.done = done }
                        func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
                            // Take one byte at a time, pausing and resuming inside the delivery.
                            buffer.moveReaderIndex(forwardBy: 1)
                            count += 1
                            connection.pauseReading()
                            connection.resumeReading()
                            if count == 1000 { done(count) }
                        }
                        func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
                    }
                    client.start(handler: Reentrant { continuation.resume(returning: $0) })
                    client.write(ByteBuffer(repeating: 0x61, count: 1000))
                    client.flush()
                }
            }
        }
        #expect(received == 1000)
        try await loop.submit { client.close() }
    }

    @Test func writesAfterCloseAreIgnoredAndCloseReportsOnce() async throws {
        let loop = try EventLoop(name: "test-close")
        defer { loop.syncShutdown() }
        let server = try startEchoServer(on: loop)
        defer { server.close() }
        let client = try await withTimeout { try await StreamConnection.connect(to: server.localAddress, on: loop) }
        let closes = try await loop.submit { () -> Int in
            final class CountCloses: StreamConnectionHandler {
                var closes = 0
                func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {}
                func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) { closes += 1 }
            }
            let handler = CountCloses()
            client.start(handler: handler)
            client.close()
            client.close()
            client.write(ByteBuffer(string: "late"))
            return handler.closes
        }
        #expect(closes == 1)
    }
}

extension ByteBuffer {
    init(repeating byte: UInt8, count: Int) {
        self.init(capacity: count)
        writeRepeating(byte, count: count)
    }
}
