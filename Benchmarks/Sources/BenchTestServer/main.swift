// Test-server benchmark: wrk against the in-process TestServer (one event loop) and against nginx (one
// worker) on loopback, alternating rounds, best of each: small responses (requests/s, keep-alive, 64
// connections) and a 1 MiB body (MB/s); then HTTP/2 with prior knowledge, h2load against the TestServer and
// against nghttpd: small responses over 4 connections with 32 streams each. Servers and load generators
// share whatever CPUs the process may use (`taskset -c 1` in `make bench`: one core for all), so the ratios
// compare the servers' cost per request.
import CourierCore
import CourierReactor
import CourierTestServer
import Foundation

func run(_ executable: String, _ arguments: [String]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try! process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// Runs wrk and returns (requests per second, transfer bytes per second).
func wrk(_ url: String, connections: Int, seconds: Int) -> (requests: Double, bytes: Double) {
    let output = run("/usr/bin/wrk", ["-t1", "-c\(connections)", "-d\(seconds)s", url])
    var requests = 0.0
    var bytes = 0.0
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("Requests/sec:"), fields.count > 1 { requests = Double(fields[1]) ?? 0 }
        if line.hasPrefix("Transfer/sec:"), fields.count > 1 {
            let text = String(fields[1])
            let number = Double(text.dropLast(2)) ?? 0
            let unit = text.suffix(2)
            bytes = number * (unit == "GB" ? 1e9 : unit == "MB" ? 1e6 : unit == "KB" ? 1e3 : 1)
        }
    }
    if requests == 0 { print("wrk failed: \(output)") }
    return (requests, bytes)
}

/// Runs h2load and returns requests per second.
func h2load(_ url: String, requests: Int) -> Double {
    let output = run("/usr/bin/h2load", ["-n", "\(requests)", "-c", "4", "-m", "32", url])
    for line in output.split(separator: "\n") where line.hasPrefix("finished in") {
        // "finished in 1.23s, 12345.67 req/s, ..."
        let parts = line.split(separator: ",")
        if parts.count > 1, let value = Double(parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) {
            return value
        }
    }
    print("h2load failed: \(output)")
    return 0
}

/// nghttpd without TLS serving a directory with `hello` (6 bytes).
final class NGHTTPD {
    let root: String
    let port: Int
    let process = Process()

    init(port: Int) throws {
        root = NSTemporaryDirectory() + "courier-bench-nghttpd-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "hello\n".write(toFile: root + "/hello", atomically: true, encoding: .utf8)
        self.port = port
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nghttpd")
        process.arguments = ["--no-tls", "-d", root, "\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if run("/usr/bin/curl", ["-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                                     "http://127.0.0.1:\(port)/hello"]) == "200" { return }
            usleep(20_000)
        }
        fatalError("nghttpd did not start")
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// nginx with one worker in a temporary prefix: `/hello` answers 6 bytes, `/mib` is a 1 MiB file.
final class Nginx {
    let root: String
    let port: Int
    let process = Process()

    init() throws {
        root = NSTemporaryDirectory() + "courier-bench-nginx-\(getpid())"
        try FileManager.default.createDirectory(atPath: root + "/www", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        let body = (0..<(1 << 20)).map { TestPattern.byte(at: $0) }
        try Data(body).write(to: URL(fileURLWithPath: root + "/www/mib"))
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 ? getsockname(probe, $0, &length) : -1 }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        close(probe)
        try """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(root)/nginx.pid;
            error_log \(root)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(root)/tmp/body;
                proxy_temp_path \(root)/tmp/proxy;
                fastcgi_temp_path \(root)/tmp/fastcgi;
                uwsgi_temp_path \(root)/tmp/uwsgi;
                scgi_temp_path \(root)/tmp/scgi;
                keepalive_requests 1000000;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root)/www;
                    location = /hello { default_type text/plain; return 200 "hello\\n"; }
                }
            }
            """.write(toFile: root + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", root, "-c", root + "/nginx.conf", "-e", root + "/error.log"]
        try process.run()
        // Ready once it answers.
        for _ in 0..<200 {
            if run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/hello"]) == "200" { return }
            usleep(20_000)
        }
        fatalError("nginx did not start")
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: root)
    }
}

let seconds = Int(ProcessInfo.processInfo.environment["COURIER_BENCH_SECONDS"] ?? "3") ?? 3
/// `http1` or `http2` runs one protocol's workloads alone (for profiling).
let only = ProcessInfo.processInfo.environment["COURIER_BENCH_ONLY"]
let rounds = 3
var configuration = TestServer.Configuration()
configuration.loopCount = 1
configuration.recordingCapacity = 1
let server = try await TestServer.start(configuration)
server.route(.get, "/hello") { _ in .text("hello\n") }
let nginx = try Nginx()

var ours = (small: 0.0, large: 0.0)
var theirs = (small: 0.0, large: 0.0)
for _ in 0..<(only == "http2" ? 0 : rounds) {
    ours.small = max(ours.small, wrk(server.url("/hello"), connections: 64, seconds: seconds).requests)
    theirs.small = max(theirs.small, wrk("http://127.0.0.1:\(nginx.port)/hello", connections: 64, seconds: seconds).requests)
    ours.large = max(ours.large, wrk(server.url("/bytes/1048576"), connections: 4, seconds: seconds).bytes)
    theirs.large = max(theirs.large, wrk("http://127.0.0.1:\(nginx.port)/mib", connections: 4, seconds: seconds).bytes)
}
nginx.stop()

var h2 = (ours: 0.0, theirs: 0.0)
let nghttpd = try NGHTTPD(port: nginx.port)
let h2Requests = 100_000 * seconds / 3
for _ in 0..<(only == "http1" ? 0 : rounds) {
    h2.ours = max(h2.ours, h2load(server.url("/hello"), requests: h2Requests))
    h2.theirs = max(h2.theirs, h2load("http://127.0.0.1:\(nghttpd.port)/hello", requests: h2Requests))
}
nghttpd.stop()
await server.shutdown()

func format(_ value: Double) -> String { String(format: "%.0f", value) }
if only != "http2" {
print("small responses, 64 keep-alive connections (requests/s):")
print("  TestServer \(format(ours.small))  nginx \(format(theirs.small))  ratio \(String(format: "%.2f", ours.small / theirs.small))")
print("1 MiB bodies, 4 connections (MB/s):")
print("  TestServer \(format(ours.large / 1e6))  nginx \(format(theirs.large / 1e6))  ratio \(String(format: "%.2f", ours.large / theirs.large))")
}
if only != "http1" {
print("HTTP/2 (h2c) small responses, 4 connections x 32 streams (requests/s):")
print("  TestServer \(format(h2.ours))  nghttpd \(format(h2.theirs))  ratio \(String(format: "%.2f", h2.ours / h2.theirs))")
}
