import CourierCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A misbehaving server on 127.0.0.1 (port 0) for hostile-peer tests: every accepted connection runs `script`
/// on its own thread with blocking sockets, so a script reads and writes exactly the bytes it wants, in the
/// order it wants, including what no real server would send. Every wait is bounded (poll with a deadline), and
/// `stop()` unblocks whatever is still running, so a test never hangs on its peer.
final class HostilePeer: Sendable {
    /// The port it listens on.
    let port: Int
    private let listener: Int32
    private let state = Locked(State())

    private struct State {
        var connections: [HostileConnection] = []
        var accepted = 0
        var closedByClient = 0
        var stopped = false
    }

    /// Starts listening; `script` runs once per accepted connection with that connection and its index (0 first).
    init(_ script: @escaping @Sendable (HostileConnection, Int) throws -> Void) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw HostilePeerError("cannot listen on 127.0.0.1")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop(script) }.start()
    }

    /// `http://127.0.0.1:PORT` + `path`.
    func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Connections accepted so far.
    var connectionsAccepted: Int { state.withLock { $0.accepted } }

    /// Connections seen closed by the client (EOF or reset while reading or writing), or reset by their script.
    var connectionsClosedByClient: Int { state.withLock { $0.closedByClient } }

    /// Polls (without blocking a cooperative thread) until `count` connections were seen closed by the client.
    func waitForClientCloses(_ count: Int, within limit: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if connectionsClosedByClient >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return connectionsClosedByClient >= count
    }

    fileprivate func noteClientClose() { state.withLock { $0.closedByClient += 1 } }

    private func acceptLoop(_ script: @escaping @Sendable (HostileConnection, Int) throws -> Void) {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = HostileConnection(fd: fd, peer: self)
            let index: Int? = state.withLock { state in
                if state.stopped { return nil }
                state.connections.append(connection)
                state.accepted += 1
                return state.accepted - 1
            }
            guard let index else {
                connection.release()
                return
            }
            Thread {
                try? script(connection, index)
                connection.release()
            }.start()
        }
    }

    /// Stops listening and closes every connection (threads blocked in a wait return).
    func stop() {
        let connections = state.withLock { state -> [HostileConnection] in
            if state.stopped { return [] }
            state.stopped = true
            return state.connections
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for connection in connections { connection.shutDown() }
    }

    deinit {
        stop()
        close(listener)
    }
}

/// Something went wrong in the peer (not in the client under test).
struct HostilePeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One accepted connection, used from its script's thread (and closed from `HostilePeer.stop`).
final class HostileConnection: @unchecked Sendable {
    // Sendable proof: `buffer` and `sawClientClose` are touched only by the script's thread; the descriptor's
    // lifecycle is behind a Mutex: `stop()` only shuts the socket down (the script's calls then fail), and only
    // the script's thread releases it, under the lock, so nobody touches a descriptor number reused elsewhere.
    let fd: Int32
    private weak var peer: HostilePeer?
    private var buffer: [UInt8] = []
    private var sawClientClose = false
    private let lifecycle = Locked<(shut: Bool, released: Bool)>((false, false))
    /// The default bound on each wait.
    var timeout: Duration = .seconds(10)

    fileprivate init(fd: Int32, peer: HostilePeer) {
        self.fd = fd
        self.peer = peer
    }

    /// Sends all of `bytes`; false once the client closed or reset the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard waitFor(POLLOUT, timeout) else { return false }
                let written = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 {
                    if written < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                    if written < 0 && (errno == EPIPE || errno == ECONNRESET) { noteClientClose() }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads exactly `count` bytes, or nil when the client closed first or the wait timed out.
    func read(exactly count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Reads an HTTP/1.1 request head (through the blank line) and its Content-Length body; nil at EOF.
    func readRequest() -> String? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                var length = 0
                for line in head.lowercased().split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                guard read(exactly: end + length) != nil else { return nil }
                return head
            }
            guard fill() else { return nil }
        }
    }

    /// Waits until the client closes (EOF or reset), reading and discarding what it sends; true when it did
    /// within `limit`. A close seen here is counted by the peer (`connectionsClosedByClient`).
    @discardableResult
    func waitForClientClose(within limit: Duration = .seconds(10)) -> Bool {
        if sawClientClose { return true }
        let deadline = ContinuousClock.now + limit
        var scratch = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            guard waitFor(POLLIN, deadline - ContinuousClock.now) else { break }
            let count = recv(fd, &scratch, scratch.count, 0)
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                noteClientClose()
                return true
            }
        }
        return false
    }

    /// Closes with a TCP reset (SO_LINGER 0) rather than a FIN; the connection then counts as closed by the
    /// client too (there is nothing left for the client to close).
    func reset() {
        noteClientClose()
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        release()
    }

    /// Sends FIN (no more bytes from the peer) but keeps reading.
    func finishWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// Sleeps the script's thread (never a cooperative thread).
    func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&time, nil)
    }

    private func noteClientClose() {
        guard !sawClientClose, !isClosed else { return }
        sawClientClose = true
        peer?.noteClientClose()
    }

    private var isClosed: Bool { lifecycle.withLock { $0.shut || $0.released } }

    /// Shuts the socket down both ways (a FIN to the client); the descriptor stays until `release()`.
    func shutDown() {
        lifecycle.withLock { state in
            guard !state.shut, !state.released else { return }
            state.shut = true
            shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    /// Closes the descriptor (the script's thread only, once).
    func release() {
        lifecycle.withLock { state in
            guard !state.released else { return }
            state.released = true
            Glibc.close(fd)
        }
    }

    private func fill() -> Bool {
        guard waitFor(POLLIN, timeout) else { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else {
            if count == 0 || (errno != EAGAIN && errno != EINTR) { noteClientClose() }
            return false
        }
        buffer += chunk[0..<count]
        return true
    }

    private func waitFor(_ events: Int32, _ limit: Duration) -> Bool {
        guard !isClosed else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
        let milliseconds = max(0, Int32(limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000))
        let ready = poll(&descriptor, 1, milliseconds)
        return ready > 0
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}
