#if canImport(Glibc)
import Glibc
#endif

/// A failure of the test's own socket plumbing (not of the TLS under test).
struct SocketError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String, _ code: Int32 = errno) {
        description = code == 0 ? what : "\(what): \(String(cString: strerror(code)))"
    }
}

/// A blocking TCP socket on loopback, with poll-based timeouts so a broken peer fails a test instead of hanging it.
final class BlockingSocket {
    let fd: Int32
    private(set) var isClosed = false

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// A listening socket on 127.0.0.1 with a kernel-chosen port.
    static func listen() throws -> (BlockingSocket, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        let socket = BlockingSocket(fd: fd)
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { throw SocketError("bind/listen") }
        return (socket, try socket.localPort())
    }

    /// A port that was free a moment ago (bound to port 0, read, released), for external servers.
    static func freePort() throws -> Int {
        let (socket, port) = try listen()
        socket.close()
        return port
    }

    /// Connects to 127.0.0.1:`port`, retrying until `deadline` (for servers still starting); `alive` is
    /// asked between attempts so a server that died is reported at once.
    static func connect(port: Int, deadline: ContinuousClock.Instant = .now + .seconds(10),
                        alive: () -> Bool = { true }) throws -> BlockingSocket {
        while true {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw SocketError("socket") }
            var address = loopback(port: port)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result == 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return BlockingSocket(fd: fd)
            }
            let code = errno
            Glibc.close(fd)
            guard code == ECONNREFUSED, ContinuousClock.now < deadline, alive() else {
                throw SocketError("connect to 127.0.0.1:\(port)", code)
            }
            // Polling for readiness: a short pause between attempts, bounded by the deadline.
            usleep(10_000)
        }
    }

    /// Waits up to `timeout` for a connection.
    func accept(timeout: Duration = .seconds(10)) throws -> BlockingSocket {
        try wait(for: Int16(POLLIN), timeout: timeout)
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { throw SocketError("accept") }
        return BlockingSocket(fd: client)
    }

    /// Reads what is available (waiting up to `timeout`); 0 means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration = .seconds(10)) throws -> Int {
        try wait(for: Int16(POLLIN), timeout: timeout)
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return 0 }
            throw SocketError("read")
        }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration = .seconds(10)) throws {
        var offset = 0
        while offset < bytes.count {
            try wait(for: Int16(POLLOUT), timeout: timeout)
            let count = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SocketError("write")
            }
            offset += count
        }
    }

    private func wait(for events: Int16, timeout: Duration) throws {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        while true {
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready == 0 { throw SocketError("timed out after \(timeout) waiting on socket", 0) }
            if errno != EINTR { throw SocketError("poll") }
        }
    }

    private func localPort() throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SocketError("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
