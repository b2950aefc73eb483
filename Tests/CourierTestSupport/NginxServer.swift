import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An nginx (Debian's package) on loopback for interop tests: its own prefix in a temporary directory,
/// cleartext HTTP/1.1, TLS with ALPN h2 + http/1.1 (when given a certificate), and h2c with prior knowledge,
/// each on a free port. Endpoints: `/small` (a short JSON body), `/echo-headers` (request headers echoed),
/// static files created on request (name → size, a deterministic byte pattern), `/status/NNN`, gzip on.
public final class NginxServer: @unchecked Sendable {
    // Sendable proof: every stored property is immutable after `start`; `process` is only terminated.

    /// Cleartext HTTP/1.1 port.
    public let httpPort: Int
    /// TLS port (ALPN h2 and http/1.1), or 0 without a certificate.
    public let httpsPort: Int
    /// Cleartext HTTP/2 with prior knowledge.
    public let h2cPort: Int
    /// The server's directory (config, logs, document root).
    public let directory: String
    private let process: ChildProcess

    /// The body `/small` returns.
    public static let smallBody = #"{"ok":true,"message":"hello from nginx","items":[1,2,3,4,5,6,7,8,9,10]}"#

    private init(httpPort: Int, httpsPort: Int, h2cPort: Int, directory: String, process: ChildProcess) {
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.h2cPort = h2cPort
        self.directory = directory
        self.process = process
    }

    /// Whether nginx is installed (`make test` installs it).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") }

    /// Starts nginx and waits until every port accepts connections. A free port is only probably free: when
    /// another process took one first, this nginx exits and the start is tried again on other ports.
    public static func start(certificatePEM: String? = nil, privateKeyPEM: String? = nil,
                             files: [String: Int] = [:], extraServerConfig: String = "",
                             attempt: Int = 1) throws -> NginxServer {
        let directory = NSTemporaryDirectory() + "courier-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let root = directory + "/root"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (name, size) in files { try writePatternFile(root + "/" + name, size: size) }
        let httpPort = try freePort(), h2cPort = try freePort()
        var httpsPort = 0
        var tlsServer = ""
        if let certificatePEM, let privateKeyPEM {
            httpsPort = try freePort()
            try certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
            try privateKeyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
            tlsServer = """
                server {
                    listen 127.0.0.1:\(httpsPort) ssl http2;
                    ssl_certificate \(directory)/cert.pem;
                    ssl_certificate_key \(directory)/key.pem;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    \(locations(root: root))
                    \(extraServerConfig)
                }
                """
        }
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                keepalive_requests 100000;
                http2_max_concurrent_streams 256;
                client_max_body_size 0;
                gzip on;
                gzip_types application/json text/plain;
                gzip_min_length 20;
                server {
                    listen 127.0.0.1:\(httpPort);
                    \(locations(root: root))
                    \(extraServerConfig)
                }
                server {
                    listen 127.0.0.1:\(h2cPort) http2;
                    \(locations(root: root))
                    \(extraServerConfig)
                }
                \(tlsServer)
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        /// Starts again from scratch, on other ports.
        func retry() throws -> NginxServer {
            try start(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, files: files,
                      extraServerConfig: extraServerConfig, attempt: attempt + 1)
        }
        let process = try ChildProcess(["/usr/sbin/nginx", "-p", directory, "-c", directory + "/nginx.conf",
                                        "-e", directory + "/error.log"])
        let server = NginxServer(httpPort: httpPort, httpsPort: httpsPort, h2cPort: h2cPort, directory: directory,
                                 process: process)
        for port in [httpPort, h2cPort, httpsPort] where port != 0 {
            guard waitForPort(port, seconds: 15, while: { process.isRunning }) else {
                let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
                let exited = !process.isRunning
                server.stop()
                // A port taken between `freePort()` and nginx's bind makes nginx exit: try other ports.
                if exited && attempt < 3 && log.contains("Address already in use") { return try retry() }
                throw FixtureError(path: "nginx did not start on port \(port): \(log)")
            }
        }
        // A port can answer for another process; nginx writes its pid file only once it has bound them all.
        let pidFile = directory + "/nginx.pid"
        var waited = 0
        while !FileManager.default.fileExists(atPath: pidFile) && process.isRunning && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        guard process.isRunning, FileManager.default.fileExists(atPath: pidFile) else {
            let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
            server.stop()
            if attempt < 3 { return try retry() }
            throw FixtureError(path: "nginx did not keep its ports: \(log)")
        }
        return server
    }

    private static func locations(root: String) -> String {
        """
        root \(root);
        location = /small { default_type application/json; return 200 '\(smallBody)'; }
        \([200, 201, 204, 301, 302, 304, 400, 404, 429, 500, 502, 503].map { "location = /status/\($0) { return \($0); }" }.joined(separator: "\n"))
        location = /echo-headers { default_type text/plain; return 200 '$http_user_agent|$http_x_courier|$content_length|$request_method'; }
        location = /upload { client_body_in_file_only off; client_body_buffer_size 1m; proxy_pass_request_body on; return 200 '$request_length'; }
        """
    }

    /// Stops nginx and removes its directory.
    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// The deterministic byte at `offset` of a pattern file (the same pattern as the test server's `/bytes/N`).
    public static func patternByte(at offset: Int) -> UInt8 { PatternCheck.byte(at: offset) }

    static func writePatternFile(_ path: String, size: Int) throws {
        guard let file = fopen(path, "wb") else { throw FixtureError(path: path) }
        defer { fclose(file) }
        var offset = 0
        while offset < size {
            let count = min(1 << 20, size - offset)
            PatternCheck.table.withUnsafeBufferPointer { table in
                _ = fwrite(table.baseAddress! + offset % 251, 1, count, file)
            }
            offset += count
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
            bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
        }
    }
    guard bound else { throw FixtureError(path: "cannot bind a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls a TCP connect to 127.0.0.1:`port` until it succeeds or `seconds` pass.
public func waitForPort(_ port: Int, seconds: Double, while alive: () -> Bool = { true }) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline && alive() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(fd)
        if connected { return true }
        usleep(20_000)
    }
    return false
}
