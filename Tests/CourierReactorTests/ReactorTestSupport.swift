import CourierCore
@testable import CourierReactor
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Echoes every byte back; closes when the peer finishes sending (after echoing everything).
final class EchoHandler: StreamConnectionHandler {
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        connection.write(buffer.readAll())
    }
    func connectionDidReadEOF(_ connection: StreamConnection) {
        connection.shutdownOutput()
    }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
}

/// Collects what a connection receives and reports once `expected` bytes arrived or the connection ended.
final class CollectingHandler: StreamConnectionHandler {
    var received: [UInt8] = []
    var count = 0
    let expected: Int
    let keepBytes: Bool
    var eof = false
    var closeError: ReactorError?
    private var completion: ((CollectingHandler) -> Void)?

    init(expected: Int, keepBytes: Bool = true, completion: @escaping (CollectingHandler) -> Void) {
        self.expected = expected
        self.keepBytes = keepBytes
        self.completion = completion
    }

    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        count += buffer.readableBytes
        if keepBytes { received += buffer.readableBytesView }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        if count >= expected { finish() }
    }
    func connectionDidReadEOF(_ connection: StreamConnection) {
        eof = true
        finish()
    }
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {
        closeError = error
        finish()
    }
    private func finish() {
        let completion = self.completion
        self.completion = nil
        completion?(self)
    }
}

/// Starts an echo server on `loop` at 127.0.0.1 (or the given address) and returns the listener.
func startEchoServer(on loop: EventLoop, at address: SocketAddress? = nil) throws -> Listener {
    let bindAddress = try address ?? SocketAddress(ipAddress: "127.0.0.1", port: 0)
    return try Listener.bind(to: bindAddress, on: loop) { connection in
        connection.start(handler: EchoHandler())
    }
}

/// Connects to `address`, sends `payload`, half-closes, and returns everything the peer sent back.
func roundTrip(_ payload: [UInt8], to address: SocketAddress, on loop: EventLoop) async throws -> [UInt8] {
    let connection = try await StreamConnection.connect(to: address, on: loop, timeout: .seconds(10))
    let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[UInt8], ReactorError>, Never>) in
        loop.execute {
            let handler = CollectingHandler(expected: Int.max) { handler in
                connection.close()
                if let error = handler.closeError { continuation.resume(returning: .failure(error)) }
                else { continuation.resume(returning: .success(handler.received)) }
            }
            connection.start(handler: handler)
            connection.write(ByteBuffer(bytes: payload))
            connection.shutdownOutput()
        }
    }
    return try result.get()
}

/// A raw listening socket with backlog 1 that never accepts; once its queue is full, new connects hang.
final class SilentListener: Sendable {
    let fd: Int32
    let address: SocketAddress
    private let fillers: [Int32]

    init(host: String) throws {
        let probe = try SocketAddress(ipAddress: host, port: 0)
        let listenFD = socket(probe.family, Int32(SOCK_STREAM.rawValue), 0)
        fd = listenFD
        var bound = probe
        _ = try probe.withSockAddr { pointer, length throws(ReactorError) in Glibc.bind(listenFD, pointer, length) }
        listen(listenFD, 1)
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) } }
        bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length)! } }
        address = bound
        // Fill the accept queue: with backlog 1 a few connects complete, after that SYNs are dropped.
        var fillers: [Int32] = []
        for _ in 0..<4 {
            let client = socket(probe.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = try bound.withSockAddr { pointer, length throws(ReactorError) in Glibc.connect(client, pointer, length) }
            fillers.append(client)
        }
        self.fillers = fillers
    }

    deinit {
        for filler in fillers { close(filler) }
        close(fd)
    }
}

/// Resident set size of this process in bytes.
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { sizePointer in
        withUnsafeMutablePointer(to: &resident) { residentPointer in
            _ = withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}
