import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// nghttpd (Debian's nghttp2-server) on loopback for HTTP/2 interop tests: h2 over TLS (given a certificate)
/// or h2c with prior knowledge, serving pattern files from a temporary directory and echoing uploads.
public final class NghttpdServer: @unchecked Sendable {
    // Sendable proof: immutable after `start`; `process` is only stopped.

    /// The port.
    public let port: Int
    /// The document root.
    public let directory: String
    private let process: ChildProcess

    /// Whether nghttpd is installed (`make test` installs it).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd") }

    private init(port: Int, directory: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Starts nghttpd (TLS when a certificate is given) and waits until it accepts connections.
    public static func start(certificatePEM: String? = nil, privateKeyPEM: String? = nil,
                             files: [String: Int] = [:], attempt: Int = 1) throws -> NghttpdServer {
        let directory = NSTemporaryDirectory() + "courier-nghttpd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory + "/root", withIntermediateDirectories: true)
        for (name, size) in files { try NginxServer.writePatternFile(directory + "/root/" + name, size: size) }
        try NginxServer.smallBody.write(toFile: directory + "/root/small", atomically: true, encoding: .utf8)
        let port = try freePort()
        var arguments = ["/usr/sbin/nghttpd", "-a", "127.0.0.1", "-d", directory + "/root", "--echo-upload"]
        if let certificatePEM, let privateKeyPEM {
            try certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
            try privateKeyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
            arguments += [String(port), directory + "/key.pem", directory + "/cert.pem"]
        } else {
            arguments += ["--no-tls", String(port)]
        }
        let process = try ChildProcess(arguments, outputPath: directory + "/nghttpd.log")
        let server = NghttpdServer(port: port, directory: directory, process: process)
        guard waitForPort(port, seconds: 15, while: { process.isRunning }) else {
            let log = (try? String(contentsOfFile: directory + "/nghttpd.log", encoding: .utf8)) ?? ""
            let exited = !process.isRunning
            server.stop()
            // The port was taken between `freePort()` and nghttpd's bind: try another one.
            if exited && attempt < 3 && log.contains("Address already in use") {
                return try start(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, files: files,
                                 attempt: attempt + 1)
            }
            throw FixtureError(path: "nghttpd did not start on port \(port): \(log)")
        }
        return server
    }

    /// Stops nghttpd and removes its directory.
    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}
