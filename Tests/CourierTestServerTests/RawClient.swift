import CourierCore
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the raw client itself (connect, timeouts, a response it cannot parse).
struct RawClientError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String, errno code: Int32 = 0) {
        description = code == 0 ? what : "\(what): \(String(cString: strerror(code)))"
    }
}

/// How the server ended a connection, as the raw client saw it.
enum ConnectionEnding: Equatable, CustomStringConvertible {
    /// An orderly close (FIN).
    case closed
    /// A TCP reset (ECONNRESET).
    case reset
    /// Still open when the wait ended.
    case stillOpen

    var description: String {
        switch self {
        case .closed: "closed"
        case .reset: "reset"
        case .stillOpen: "still open"
        }
    }
}

/// A response as the raw client parsed it.
struct RawResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// The chunk sizes of a chunked body, in order (empty otherwise).
    var chunkSizes: [Int] = []
    var trailers: [(name: String, value: String)] = []

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyString: String { String(decoding: body, as: UTF8.self) }
}

/// A plain blocking socket client for raw HTTP/1.1 checks: it sends exactly the bytes a test gives and
/// parses responses itself. Every read waits with poll and a deadline, so a server that misbehaves fails
/// the test rather than hanging it. The blocking work runs on the client's own dispatch queue, off the
/// cooperative thread pool.
final class RawClient: @unchecked Sendable {
    // Sendable proof: every member is touched only inside `queue.sync` blocks or `run`, which funnels
    // the work through the serial `queue`.

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false
    private let queue = DispatchQueue(label: "raw-client")
    /// The default deadline of each wait.
    var timeout: Duration = .seconds(10)

    /// Connects to 127.0.0.1:`port` (or `host`, a numeric IPv4 or IPv6 address).
    init(port: Int, host: String = "127.0.0.1") throws {
        let isIPv6 = host.contains(":")
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError("socket", errno: errno) }
        var result: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawClientError("connect to \(host):\(port)", errno: code)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

    /// Connects to a Unix domain socket.
    init(unixPath: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError("socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in unixPath.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw RawClientError("connect to \(unixPath)", errno: code)
        }
        self.fd = fd
    }

    deinit { if !closed { Glibc.close(fd) } }

    /// Runs blocking work on the client's queue and awaits it.
    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    // MARK: - Sending

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ buffer: ByteBuffer) async throws {
        try await send(buffer.withUnsafeReadableBytes { Array($0) })
    }

    func send(_ bytes: [UInt8]) async throws {
        try await run { try self.sendNow(bytes) }
    }

    private func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw RawClientError("send", errno: errno)
            }
            offset += written
        }
    }

    /// Half-closes: the server sees the end of the request stream.
    func shutdownWrite() async throws {
        try await run { _ = Glibc.shutdown(self.fd, Int32(SHUT_WR)) }
    }

    func close() {
        queue.sync {
            guard !closed else { return }
            closed = true
            Glibc.close(fd)
        }
    }

    // MARK: - Receiving

    /// Reads more bytes into the buffer; returns how it ended when the connection ends or the deadline passes.
    private func fill(until deadline: ContinuousClock.Instant) throws -> ConnectionEnding? {
        let remaining = deadline - .now
        guard remaining > .zero else { return .stillOpen }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw RawClientError("poll", errno: errno)
        }
        if ready == 0 { return .stillOpen }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let count = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            if errno == ECONNRESET { return .reset }
            throw RawClientError("recv", errno: errno)
        }
        if count == 0 { return .closed }
        buffer.append(contentsOf: chunk[0..<count])
        return nil
    }

    /// Reads until the connection ends (or the deadline); returns everything received and how it ended.
    func readUntilEnd(timeout: Duration? = nil) async throws -> (bytes: [UInt8], ending: ConnectionEnding) {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        return try await run {
            while true {
                if let ending = try self.fill(until: deadline) {
                    let bytes = self.buffer
                    self.buffer = []
                    return (bytes, ending)
                }
            }
        }
    }

    /// Reads whatever arrives within `timeout` (at least one read's worth when something comes).
    func readAvailable(timeout: Duration) async throws -> (bytes: [UInt8], ending: ConnectionEnding?) {
        let deadline = ContinuousClock.now + timeout
        return try await run {
            let ending = try self.fill(until: deadline)
            let bytes = self.buffer
            self.buffer = []
            return (bytes, ending == .stillOpen ? nil : ending)
        }
    }

    /// Waits for the server to end the connection; reports how it ended, or `.stillOpen` after `timeout`.
    func waitForEnd(timeout: Duration? = nil) async throws -> ConnectionEnding {
        try await readUntilEnd(timeout: timeout).ending
    }

    /// Reads one response (status line, fields, body by Content-Length, chunked, or until close).
    /// Interim 1xx responses are returned as responses of their own. `headRequest`: the response has no body.
    func readResponse(headRequest: Bool = false, timeout: Duration? = nil) async throws -> RawResponse {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        return try await run { try self.parseResponse(headRequest: headRequest, deadline: deadline) }
    }

    private func need(_ count: Int, _ deadline: ContinuousClock.Instant, _ what: String) throws {
        while buffer.count < count {
            if let ending = try fill(until: deadline) {
                throw RawClientError("\(ending) while waiting for \(what) (have \(buffer.count) of \(count) bytes)")
            }
        }
    }

    private func line(_ deadline: ContinuousClock.Instant, _ what: String) throws -> String {
        var searched = 0
        while true {
            if let index = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")), index > 0, buffer[index - 1] == UInt8(ascii: "\r") {
                let text = String(decoding: buffer[0..<(index - 1)], as: UTF8.self)
                buffer.removeFirst(index + 1)
                return text
            }
            searched = max(0, buffer.count - 1)
            if let ending = try fill(until: deadline) {
                throw RawClientError("\(ending) while waiting for \(what); received \(String(decoding: buffer, as: UTF8.self).debugDescription)")
            }
        }
    }

    private func fields(_ deadline: ContinuousClock.Instant) throws -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        while true {
            let text = try line(deadline, "a field line")
            if text.isEmpty { return fields }
            guard let colon = text.firstIndex(of: ":") else { throw RawClientError("bad field line \(text)") }
            let value = text[text.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            fields.append((String(text[..<colon]), String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())))
        }
    }

    private func parseResponse(headRequest: Bool, deadline: ContinuousClock.Instant) throws -> RawResponse {
        let statusLine = try line(deadline, "a status line")
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw RawClientError("bad status line \(statusLine.debugDescription)")
        }
        var response = RawResponse(status: status, headers: try fields(deadline), body: [])
        if headRequest || status < 200 || status == 204 || status == 304 { return response }
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try line(deadline, "a chunk size")
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw RawClientError("bad chunk size line \(sizeLine.debugDescription)")
                }
                if size == 0 {
                    response.trailers = try fields(deadline)
                    return response
                }
                try need(size + 2, deadline, "a chunk of \(size) bytes")
                response.body += buffer[0..<size]
                response.chunkSizes.append(size)
                guard buffer[size] == UInt8(ascii: "\r"), buffer[size + 1] == UInt8(ascii: "\n") else {
                    throw RawClientError("chunk not followed by CRLF")
                }
                buffer.removeFirst(size + 2)
            }
        } else if let length = response.header("content-length").flatMap({ Int($0) }) {
            try need(length, deadline, "a body of \(length) bytes")
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while try fill(until: deadline) == nil {}
            response.body = buffer
            buffer = []
        }
        return response
    }
}
