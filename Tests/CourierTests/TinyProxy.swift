import Foundation
import CourierTestSupport

/// Debian's tinyproxy on a free loopback port, with its own configuration (optionally Basic auth), for
/// proxy interop tests.
final class TinyProxy: @unchecked Sendable {
    // Sendable proof: every property is immutable after `start`.
    let port: Int
    let directory: String
    private let process: ChildProcess

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tinyproxy") }

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts tinyproxy; with `credentials`, it answers 407 unless they are given.
    static func start(credentials: (user: String, password: String)? = nil) throws -> TinyProxy {
        let directory = NSTemporaryDirectory() + "courier-tinyproxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let port = try freePort()
        var config = """
            Port \(port)
            Listen 127.0.0.1
            Timeout 30
            MaxClients 100
            LogLevel Info
            LogFile "\(directory)/tinyproxy.log"
            PidFile "\(directory)/tinyproxy.pid"
            Allow 127.0.0.1
            """
        if let credentials { config += "\nBasicAuth \(credentials.user) \(credentials.password)" }
        try (config + "\n").write(toFile: directory + "/tinyproxy.conf", atomically: true, encoding: .utf8)
        let process = try ChildProcess(["/usr/bin/tinyproxy", "-d", "-c", directory + "/tinyproxy.conf"],
                                       outputPath: directory + "/output.txt")
        let proxy = TinyProxy(port: port, directory: directory, process: process)
        guard waitForPort(port, seconds: 15, while: { process.isRunning }) else {
            let output = (try? String(contentsOfFile: directory + "/output.txt", encoding: .utf8)) ?? ""
            proxy.stop()
            throw ProxyFixtureError(message: "tinyproxy did not start on port \(port): \(output)")
        }
        return proxy
    }

    /// The proxy's log (requests it forwarded and tunnels it opened).
    var log: String { (try? String(contentsOfFile: directory + "/tinyproxy.log", encoding: .utf8)) ?? "" }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// A scripted fake proxy on a free loopback port: for each connection, reads a request head and answers
/// with `reply` (raw bytes, possibly malformed), then closes (or keeps silent, for timeouts). Records what
/// it received.
final class ScriptedProxy: @unchecked Sendable {
    // Sendable proof: `receivedHeads` and `stopped` are guarded by `lock`; the rest is immutable after init.
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var receivedHeads: [String] = []
    private var stopped = false

    enum Reply: Sendable {
        case bytes(String, thenClose: Bool)
        case closeWithoutAnswer
        case silence
    }

    init(reply: Reply) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw ProxyFixtureError(message: "cannot listen for the scripted proxy")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let listeningSocket = self.listener
        let thread = Thread { [weak self] in
            while true {
                let client = accept(listeningSocket, nil, nil)
                if client < 0 {
                    // Stopped: the listener is closed here, by its only user, so its number is never reused
                    // under a thread still accepting on it.
                    close(listeningSocket)
                    return
                }
                var head = [UInt8]()
                var byte: UInt8 = 0
                while !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)), read(client, &byte, 1) == 1 { head.append(byte) }
                self?.record(String(decoding: head, as: UTF8.self))
                switch reply {
                case .bytes(let text, let thenClose):
                    _ = Array(text.utf8).withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                    if thenClose { close(client) } else { Thread.sleep(forTimeInterval: 5); close(client) }
                case .closeWithoutAnswer:
                    close(client)
                case .silence:
                    Thread.sleep(forTimeInterval: 5)
                    close(client)
                }
            }
        }
        thread.start()
    }

    private func record(_ head: String) {
        lock.lock()
        receivedHeads.append(head)
        lock.unlock()
    }

    var received: [String] {
        lock.lock()
        defer { lock.unlock() }
        return receivedHeads
    }

    /// Stops accepting (the accept thread closes the listener once it sees the shutdown). Idempotent.
    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        if first { shutdown(listener, Int32(SHUT_RDWR)) }
    }

    deinit { stop() }
}

struct ProxyFixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
