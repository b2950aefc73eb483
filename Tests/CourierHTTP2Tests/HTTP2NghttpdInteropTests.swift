import CourierCore
import CourierHPACK
import Foundation
import CourierTestSupport
import Testing
@testable import CourierHTTP2

/// The codec against a real peer: raw h2c with prior knowledge to `nghttpd` (nghttp2's server) on
/// 127.0.0.1, through a plain blocking socket and nothing but this module.
@Suite(.onDedicatedThread, .enabled(if: FileManager.default.isExecutableFile(atPath: nghttpdPath)))
struct HTTP2NghttpdInteropTests {
    static let nghttpd = nghttpdPath

    /// In a child process (an exit test): the exchange runs on a blocking socket, which would otherwise hold
    /// one of the few cooperative threads the suites running alongside need.
    @Test func getsFilesFromNghttpdOverH2c() async throws {
        await #expect(processExitsWith: .success) { try HTTP2NghttpdInteropTests().fetchFromNghttpd() }
    }

    func fetchFromNghttpd() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("courier-h2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let hello = Array("hello from nghttpd\n".utf8)
        let big = (0..<1_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        try Data(hello).write(to: root.appendingPathComponent("hello.txt"))
        try Data(big).write(to: root.appendingPathComponent("big.bin"))

        let port = try BlockingSocket.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.nghttpd)
        server.arguments = ["--no-tls", "-a", "127.0.0.1", "-d", root.path, String(port)]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // nghttpd does not exit on SIGTERM while a connection is open.
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
            server.waitUntilExit()
        }
        let socket = try BlockingSocket.connect(port: port, within: .seconds(10))
        defer { socket.close() }

        var connection = HTTP2Connection(role: .client, now: SystemClock.now())
        func request(_ path: String) throws -> HTTP2StreamID {
            try connection.openStream(H2.list([(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1:\(port)"),
                                               (":path", path), ("user-agent", "courier-test")]), endStream: true).id
        }
        let small = try request("/hello.txt")
        let large = try request("/big.bin")
        let missing = try request("/missing")
        var statuses: [HTTP2StreamID: Int] = [:]
        var bodies: [HTTP2StreamID: [UInt8]] = [:]
        var finished = Set<HTTP2StreamID>()
        var settingsAcknowledged = false
        var output = ByteBuffer()
        let deadline = Date().addingTimeInterval(30)
        while finished.count < 3 && Date() < deadline {
            output.clear()
            connection.flushOutput(into: &output)
            try socket.write(output)
            let received = try socket.read()
            #expect(received.readableBytes > 0, "nghttpd closed the connection")
            if received.readableBytes == 0 { break }
            connection.receive(received)
            while let event = connection.nextEvent() {
                switch event {
                case .response(let id, let head, let end):
                    statuses[id] = head.status
                    if end { finished.insert(id) }
                case .data(let id, let data, let end):
                    bodies[id, default: []] += Array(data.readableBytesView)
                    connection.consumed(id, bytes: data.readableBytes)
                    if end { finished.insert(id) }
                case .settingsAcknowledged:
                    settingsAcknowledged = true
                case .connectionError(let error), .streamError(_, let error):
                    Issue.record("\(error)")
                case .streamReset(let id, let code):
                    Issue.record("stream \(id) reset: \(code)")
                default:
                    break
                }
            }
        }
        #expect(settingsAcknowledged)
        #expect(statuses[small] == 200 && bodies[small] == hello)
        #expect(statuses[large] == 200 && bodies[large]?.count == big.count && bodies[large] == big)
        #expect(statuses[missing] == 404)
        // A graceful goodbye.
        connection.goAway()
        output.clear()
        connection.flushOutput(into: &output)
        try socket.write(output)
    }
}

/// nghttp2's server (Debian package nghttp2-server).
let nghttpdPath = "/usr/sbin/nghttpd"

/// A blocking TCP socket on 127.0.0.1, with a receive timeout so a silent peer fails the test
/// instead of hanging it.
struct BlockingSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// A port that was free a moment ago (bind to port 0, read it, close).
    static func freePort() throws -> UInt16 {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { Glibc.close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Connects, retrying until the server listens or `limit` passes (readiness by polling).
    static func connect(port: UInt16, within limit: Duration) throws -> BlockingSocket {
        let start = SystemClock.now()
        while true {
            let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == 0 {
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return BlockingSocket(descriptor: descriptor)
            }
            Glibc.close(descriptor)
            guard SystemClock.now().elapsed(since: start) < limit else {
                throw Failure(description: "nothing listens on port \(port)")
            }
            usleep(10_000)  // poll interval while the server starts
        }
    }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw Failure(description: "send: \(errno)") }
                offset += written
            }
        }
    }

    /// What arrives next (at least one octet; empty when the peer closed).
    func read() throws -> ByteBuffer {
        var buffer = ByteBuffer(capacity: 65536)
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 65536) { region in
            max(0, Glibc.recv(descriptor, region.baseAddress!, region.count, 0))
        }
        if count == 0 && errno == EAGAIN { throw Failure(description: "timed out waiting for the peer") }
        return buffer
    }

    func close() { Glibc.close(descriptor) }
}
