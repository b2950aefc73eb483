#if canImport(Glibc)
import Glibc
#endif
import CourierCore
@testable import CourierTLS
import COpenSSL
import CourierTestSupport
import Testing

/// Our server engine on a blocking loopback listener, one connection at a time.
final class LoopbackTLSServer {
    let listener: BlockingSocket
    let port: Int
    let context: TLSServerContext

    init(_ configuration: TLSServerConfiguration = TestPKI.serverConfiguration()) throws {
        context = try TLSServerContext(configuration: configuration)
        (listener, port) = try BlockingSocket.listen()
    }

    /// Accepts one connection and completes its handshake.
    func accept() throws -> TLSSocketPump {
        let pump = TLSSocketPump(engine: try TLSEngine(context: context), socket: try listener.accept())
        try pump.handshake()
        return pump
    }
}

/// The files a command-line client needs: the CA, and a client certificate and key.
final class ClientFiles {
    let directory: TestDirectory
    let ca: String
    let certificate: String
    let key: String

    init() throws {
        directory = try TestDirectory("client")
        ca = try directory.write("ca.pem", TestPKI.authority.certificatePEM)
        certificate = try directory.write("client.pem", TestPKI.client.chainPEM)
        key = try directory.write("client-key.pem", TestPKI.client.privateKeyPEM)
    }
}

@Suite("TLS server against openssl s_client and curl", .serialized, .onDedicatedThread,
       .enabled(if: executable("openssl") != nil && executable("curl") != nil))
struct TLSServerInteropTests {
    func sClient(_ server: LoopbackTLSServer, _ files: ClientFiles, _ arguments: [String]) throws -> ExternalProcess {
        try ExternalProcess(executable("openssl")!, [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost",
            "-CAfile", files.ca, "-verify_return_error", "-verify_hostname", "localhost",
        ] + arguments, directory: files.directory, name: "s_client")
    }

    /// Reads one line from the client, answers it, closes cleanly.
    func echoLine(_ pump: TLSSocketPump, reply: String) throws -> String {
        let (bytes, _) = try pump.read(until: { $0.contains(UInt8(ascii: "\n")) })
        try pump.write(reply)
        pump.close()
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("s_client verifies our server and negotiates the version and ALPN asked for", arguments: [
        TLSClientInteropTests.Case(version: .tls12, alpn: "h2"), TLSClientInteropTests.Case(version: .tls12, alpn: "http/1.1"),
        TLSClientInteropTests.Case(version: .tls13, alpn: "h2"), TLSClientInteropTests.Case(version: .tls13, alpn: "http/1.1"),
    ])
    func sClientVersionsAndALPN(_ example: TLSClientInteropTests.Case) throws {
        let server = try LoopbackTLSServer()
        let files = try ClientFiles()
        let client = try sClient(server, files, ["-alpn", example.alpn, example.version == .tls12 ? "-tls1_2" : "-tls1_3"])
        let pump = try server.accept()
        #expect(pump.engine.negotiatedVersion == example.version)
        #expect(pump.engine.negotiatedALPN == example.alpn)
        #expect(pump.engine.serverName == "localhost")
        client.send("ping\n")
        #expect(try echoLine(pump, reply: "pong\n") == "ping\n")
        #expect(client.waitForExit() == 0, "\(client.report)")
        #expect(client.output.contains("pong"), "\(client.report)")
        #expect(client.output.contains("Verify return code: 0 (ok)"), "\(client.report)")
        #expect(client.output.contains("ALPN protocol: \(example.alpn)"), "\(client.report)")
        #expect(client.output.contains("Protocol  : \(example.version)"), "\(client.report)")
    }

    @Test("mutual TLS with s_client: its certificate is seen; without one the handshake fails",
          arguments: [TLSVersion.tls12, .tls13])
    func sClientMutualTLS(version: TLSVersion) throws {
        var configuration = TestPKI.serverConfiguration()
        configuration.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let server = try LoopbackTLSServer(configuration)
        let files = try ClientFiles()
        let flag = version == .tls12 ? "-tls1_2" : "-tls1_3"
        let client = try sClient(server, files, [flag, "-cert", files.certificate, "-key", files.key])
        let pump = try server.accept()
        #expect(pump.engine.peerCertificate?.commonName == "courier-client")
        client.send("ping\n")
        #expect(try echoLine(pump, reply: "pong\n") == "ping\n")
        #expect(client.waitForExit() == 0, "\(client.report)")

        let anonymous = try sClient(server, files, [flag])
        let error = #expect(throws: TLSError.self) { _ = try server.accept() }
        #expect(error?.code == .certificateRequired, "\(String(describing: error))")
        anonymous.closeInput()
        anonymous.waitForExit()
    }

    @Test("s_client resumes a session with our server", arguments: [TLSVersion.tls12, .tls13])
    func sClientResumption(version: TLSVersion) throws {
        let server = try LoopbackTLSServer()
        let files = try ClientFiles()
        let session = files.directory.path("session.pem")
        let flag = version == .tls12 ? "-tls1_2" : "-tls1_3"
        let first = try sClient(server, files, [flag, "-sess_out", session])
        let firstPump = try server.accept()
        #expect(!firstPump.engine.isSessionReused)
        first.send("one\n")
        _ = try echoLine(firstPump, reply: "ok\n")
        #expect(first.waitForExit() == 0, "\(first.report)")

        let second = try sClient(server, files, [flag, "-sess_in", session])
        let secondPump = try server.accept()
        #expect(secondPump.engine.isSessionReused)
        second.send("two\n")
        _ = try echoLine(secondPump, reply: "ok\n")
        #expect(second.waitForExit() == 0, "\(second.report)")
        #expect(second.output.contains("Reused, \(version)"), "\(second.report)")
    }

    @Test("s_client asking to renegotiate (TLS 1.2) is refused")
    func sClientRenegotiationRefused() throws {
        let server = try LoopbackTLSServer()
        let files = try ClientFiles()
        let client = try sClient(server, files, ["-tls1_2"])
        let pump = try server.accept()
        client.send("R\n")  // s_client: renegotiate
        var buffer = ByteBuffer()
        // We answer no_renegotiation and carry on; OpenSSL's client then aborts with an alert.
        let end = Result { try pump.read(into: &buffer) }
        client.waitForExit()
        #expect(SSL_ctrl(pump.engine.ssl, SSL_CTRL_GET_NUM_RENEGOTIATIONS, 0, nil) == 0)
        #expect((client.output + client.errorOutput).contains("no renegotiation"), "\(client.report)\n\(end)")
        pump.close()
    }

    @Test("a TLS 1.3 key update from s_client is handled and data keeps flowing")
    func sClientKeyUpdate() throws {
        let server = try LoopbackTLSServer()
        let files = try ClientFiles()
        let client = try sClient(server, files, ["-tls1_3"])
        let pump = try server.accept()
        client.send("first\n")
        let (first, _) = try pump.read(until: { $0.contains(UInt8(ascii: "\n")) })
        #expect(String(decoding: first, as: UTF8.self) == "first\n")
        client.send("K\n")  // s_client: key update, asking us to update ours too
        // s_client takes a whole read from stdin as one command: send the next line once it has acted.
        #expect(client.waitForOutput("KEYUPDATE", inErrors: true), "\(client.report)")
        client.send("second\n")
        let (second, _) = try pump.read(until: { $0.contains(UInt8(ascii: "\n")) })
        #expect(String(decoding: second, as: UTF8.self) == "second\n")
        try pump.write("after update\n")
        pump.close()
        #expect(client.waitForExit() == 0, "\(client.report)")
        #expect(client.output.contains("after update"), "\(client.report)")
        #expect(client.errorOutput.contains("KEYUPDATE"), "\(client.report)")
    }

    @Test("curl --http2 and --http1.1 fetch from our server", arguments: ["2", "1.1"])
    func curl(httpVersion: String) throws {
        let server = try LoopbackTLSServer()
        let files = try ClientFiles()
        let body = "hello from courier over HTTP/\(httpVersion)\n"
        let curl = try ExternalProcess(executable("curl")!, [
            "-sS", httpVersion == "2" ? "--http2" : "--http1.1", "--cacert", files.ca,
            "--cert", files.certificate, "--key", files.key,
            "--resolve", "localhost:\(server.port):127.0.0.1", "https://localhost:\(server.port)/hello",
            "-w", "\nversion=%{http_version} status=%{http_code}\n",
        ], directory: files.directory, name: "curl")
        let pump = try server.accept()
        if httpVersion == "2" {
            #expect(pump.engine.negotiatedALPN == "h2")
            try MinimalHTTP2Responder.respond(on: pump, body: body)
        } else {
            #expect(pump.engine.negotiatedALPN == "http/1.1")
            let (request, _) = try pump.read(until: { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") })
            #expect(String(decoding: request, as: UTF8.self).hasPrefix("GET /hello HTTP/1.1\r\n"))
            try pump.write("HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            pump.close()
        }
        #expect(curl.waitForExit() == 0, "\(curl.report)")
        #expect(curl.output == body + "\nversion=\(httpVersion) status=200\n", "\(curl.report)")
    }
}

/// Just enough HTTP/2 (RFC 9113) to answer one GET: read the preface and frames up to the request's
/// HEADERS, then send SETTINGS, a SETTINGS ack, HEADERS (`:status 200`, HPACK static index 8), DATA
/// with END_STREAM and GOAWAY. The real codec lives in CourierHTTP2; this only proves the TLS layer.
enum MinimalHTTP2Responder {
    static func respond(on pump: TLSSocketPump, body: String) throws {
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        var streamID: UInt32?
        let (received, _) = try pump.read(until: { bytes in
            guard bytes.count >= preface.count else { return false }
            var index = preface.count
            while index + 9 <= bytes.count {
                let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
                guard index + 9 + length <= bytes.count else { return false }
                if bytes[index + 3] == 1 {  // HEADERS
                    streamID = (UInt32(bytes[index + 5]) << 24 | UInt32(bytes[index + 6]) << 16
                        | UInt32(bytes[index + 7]) << 8 | UInt32(bytes[index + 8])) & 0x7fff_ffff
                    return true
                }
                index += 9 + length
            }
            return false
        })
        #expect(Array(received.prefix(preface.count)) == preface)
        let stream = try #require(streamID)
        var out: [UInt8] = []
        func frame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8]) {
            out += [UInt8(payload.count >> 16 & 0xff), UInt8(payload.count >> 8 & 0xff), UInt8(payload.count & 0xff),
                    type, flags] + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
        }
        frame(4, 0, 0, [])                                   // SETTINGS
        frame(4, 1, 0, [])                                   // SETTINGS ack
        frame(1, 4, stream, [0x88])                          // HEADERS, END_HEADERS, :status 200
        frame(0, 1, stream, Array(body.utf8))                // DATA, END_STREAM
        frame(7, 0, 0, withUnsafeBytes(of: stream.bigEndian, Array.init) + [0, 0, 0, 0])  // GOAWAY, NO_ERROR
        try out.withUnsafeBytes { try pump.write($0) }
        // Let curl finish reading before we close: wait for it to hang up (or say goodbye).
        _ = try? pump.readToEnd()
        pump.close()
    }
}
