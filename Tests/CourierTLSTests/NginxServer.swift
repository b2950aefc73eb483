import Foundation
import CourierTLS

/// nginx on loopback with the generated CA's localhost certificate, in its own temporary prefix
/// (configuration, pid, logs and temp paths all inside it), as one foreground process that SIGKILL ends.
final class NginxServer {
    let directory: TestDirectory
    let port: Int
    let process: ExternalProcess

    /// Serves `www/index.html` ("hello from nginx\n") and any files `populate` adds to `www/`.
    init(protocols: String = "TLSv1.2 TLSv1.3", populate: (String) throws -> Void = { _ in }) throws {
        directory = try TestDirectory("nginx")
        let root = directory.root
        let chain = try directory.write("chain.pem", TestPKI.localhost.chainPEM)
        let key = try directory.write("key.pem", TestPKI.localhost.privateKeyPEM)
        try FileManager.default.createDirectory(atPath: root + "/www", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        try directory.write("www/index.html", "hello from nginx\n")
        try populate(root + "/www")
        var attempt = 0
        while true {
            let port = try BlockingSocket.freePort()
            try directory.write("nginx.conf", """
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(root)/nginx.pid;
                error_log \(root)/error.log warn;
                events { worker_connections 64; }
                http {
                    access_log off;
                    client_body_temp_path \(root)/tmp/body;
                    proxy_temp_path \(root)/tmp/proxy;
                    fastcgi_temp_path \(root)/tmp/fastcgi;
                    uwsgi_temp_path \(root)/tmp/uwsgi;
                    scgi_temp_path \(root)/tmp/scgi;
                    default_type application/octet-stream;
                    ssl_session_cache shared:courier:1m;
                    ssl_session_tickets on;
                    server {
                        listen 127.0.0.1:\(port) ssl http2;
                        server_name localhost;
                        ssl_certificate \(chain);
                        ssl_certificate_key \(key);
                        ssl_protocols \(protocols);
                        root \(root)/www;
                    }
                }
                """)
            let process = try ExternalProcess(executable("nginx")!, ["-p", root, "-c", root + "/nginx.conf", "-e", root + "/error.log"],
                                              directory: directory, name: "nginx")
            // Ready when it accepts a connection; a port taken in the meantime makes it exit: try another.
            if let probe = try? BlockingSocket.connect(port: port, alive: { process.isRunning }) {
                probe.close()
                self.process = process
                self.port = port
                return
            }
            process.stop()
            attempt += 1
            if attempt == 3 {
                let log = (try? String(contentsOfFile: root + "/error.log", encoding: .utf8)) ?? ""
                throw SocketError("nginx did not start:\n\(process.report)\n\(log)", 0)
            }
        }
    }

    deinit { process.stop() }

    /// A client engine connected to nginx, handshake done.
    func connect(_ context: TLSClientContext) throws -> TLSSocketPump {
        let pump = TLSSocketPump(engine: try TLSEngine(context: context, serverHostname: "localhost", port: port),
                                 socket: try BlockingSocket.connect(port: port, alive: { process.isRunning }))
        try pump.handshake()
        return pump
    }
}
