// Reactor benchmarks: loopback echo ping-pong (round trips per second, handler-driven and through an
// awaiting task on the loop) and bulk throughput over one socket (MB/s).
import CourierCore
import CourierReactor
import Synchronization
import Foundation

final class Echo: StreamConnectionHandler {
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        connection.write(buffer.readAll())
    }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
}

/// Sends a message, waits for its echo, repeats `rounds` times, then reports.
final class PingPong: StreamConnectionHandler {
    let message: ByteBuffer
    var remaining: Int
    var pending = 0
    let done: (Int) -> Void
    init(size: Int, rounds: Int, done: @escaping (Int) -> Void) {
        var message = ByteBuffer(capacity: size)
        message.writeRepeating(0x61, count: size)
        self.message = message
        remaining = rounds
        self.done = done
    }
    func send(_ connection: StreamConnection) {
        pending = message.readableBytes
        connection.write(message)
    }
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        pending -= buffer.readableBytes
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        guard pending == 0 else { return }
        remaining -= 1
        if remaining == 0 { connection.close(); done(0) } else { send(connection) }
    }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
}

/// Streams `total` bytes as fast as the socket takes them.
final class Blaster: StreamConnectionHandler {
    let chunk: ByteBuffer
    var remaining: Int
    init(total: Int) {
        var chunk = ByteBuffer(capacity: 256 * 1024)
        chunk.writeRepeating(0x62, count: 256 * 1024)
        self.chunk = chunk
        remaining = total
    }
    func pump(_ connection: StreamConnection) {
        while remaining > 0 && connection.isWritable {
            let slice = chunk.getSlice(at: 0, length: min(remaining, chunk.readableBytes))!
            remaining -= slice.readableBytes
            connection.write(slice)
            connection.flush()
        }
        if remaining == 0 { connection.shutdownOutput() }
    }
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {}
    func connectionDidBecomeWritable(_ connection: StreamConnection) { pump(connection) }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
}

final class Drain: StreamConnectionHandler {
    var received = 0
    let done: (Int) -> Void
    init(done: @escaping (Int) -> Void) { self.done = done }
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        received += buffer.readableBytes
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }
    func connectionDidReadEOF(_ connection: StreamConnection) { connection.close() }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) { done(received) }
}

/// A handler that hands each echo to a waiting continuation: the shape of a request awaited by a task.
final class AwaitedEcho: StreamConnectionHandler {
    var waiter: UnsafeContinuation<Void, Never>?
    var pending = 0
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        pending -= buffer.readableBytes
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        if pending == 0, let waiter { self.waiter = nil; waiter.resume() }
    }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
}

struct Box<T>: @unchecked Sendable { let value: T }

@main
struct BenchReactor {
    static func main() async throws {
        let serverLoop = try EventLoop(name: "bench-server")
        let clientLoop = try EventLoop(name: "bench-client")
        let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: serverLoop) { connection in
            connection.start(handler: Echo())
        }

        for size in [64, 4096] {
            let rounds = 100_000
            let connection = try await StreamConnection.connect(to: server.localAddress, on: clientLoop)
            let start = SystemClock.now()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                clientLoop.execute {
                    let handler = PingPong(size: size, rounds: rounds) { _ in continuation.resume() }
                    connection.start(handler: handler)
                    handler.send(connection)
                }
            }
            let seconds = (SystemClock.now() - start).secondsDouble
            print("echo ping-pong \(size) B (handler): \(Int(Double(rounds) / seconds)) round trips/s, \(String(format: "%.2f", seconds * 1e6 / Double(rounds))) µs each")
        }

        do {
            let rounds = 100_000
            let connection = try await StreamConnection.connect(to: server.localAddress, on: clientLoop)
            let seconds = await Task(executorPreference: clientLoop) { () -> Double in
                let handler = AwaitedEcho()
                connection.start(handler: handler)
                var message = ByteBuffer(capacity: 64)
                message.writeRepeating(0x63, count: 64)
                let start = SystemClock.now()
                for _ in 0..<rounds {
                    await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                        handler.waiter = continuation
                        handler.pending = 64
                        connection.write(message)
                    }
                }
                connection.close()
                return (SystemClock.now() - start).secondsDouble
            }.value
            print("echo ping-pong 64 B (task awaiting on the loop): \(Int(Double(rounds) / seconds)) round trips/s, \(String(format: "%.2f", seconds * 1e6 / Double(rounds))) µs each")
        }

        do {
            let total = 2 * 1024 * 1024 * 1024
            let bulkServer = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: serverLoop) { connection in
                let blaster = Blaster(total: total)
                connection.start(handler: blaster)
                blaster.pump(connection)
            }
            let connection = try await StreamConnection.connect(to: bulkServer.localAddress, on: clientLoop)
            let start = SystemClock.now()
            let received = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                clientLoop.execute { connection.start(handler: Drain { continuation.resume(returning: $0) }) }
            }
            let seconds = (SystemClock.now() - start).secondsDouble
            precondition(received == total)
            print("bulk throughput, one socket: \(Int(Double(total) / seconds / 1e6)) MB/s")
            bulkServer.close()
        }
        server.close()
        clientLoop.syncShutdown()
        serverLoop.syncShutdown()
    }
}
