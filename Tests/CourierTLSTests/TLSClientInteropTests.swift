#if canImport(Glibc)
import Glibc
#endif
import CourierCore
@testable import CourierTLS
import COpenSSL
import CourierTestSupport
import Testing

/// `openssl s_server` on loopback with the generated CA's localhost certificate.
final class OpenSSLServer {
    let process: ExternalProcess
    let port: Int
    let directory: TestDirectory

    init(_ arguments: [String], certificate: TLSIssuedCertificate = TestPKI.localhost) throws {
        directory = try TestDirectory("s_server")
        let chain = try directory.write("chain.pem", certificate.chainPEM)
        let key = try directory.write("key.pem", certificate.privateKeyPEM)
        try directory.write("ca.pem", TestPKI.authority.certificatePEM)
        var attempt = 0
        while true {
            let port = try BlockingSocket.freePort()
            let process = try ExternalProcess(executable("openssl")!, ["s_server", "-accept", "127.0.0.1:\(port)",
                                              "-cert", chain, "-key", key] + arguments,
                                              directory: directory, name: "s_server")
            // Ready once it prints ACCEPT; a port taken in the meantime makes it exit, so try another.
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning && !process.output.contains("ACCEPT") && ContinuousClock.now < deadline {
                usleep(5_000)
            }
            if process.output.contains("ACCEPT") {
                self.process = process
                self.port = port
                return
            }
            process.stop()
            attempt += 1
            if attempt == 3 { throw SocketError("s_server did not start:\n\(process.report)", 0) }
        }
    }

    /// A client engine connected to this server, handshake done.
    func connect(_ context: TLSClientContext, hostname: String = "localhost") throws -> TLSSocketPump {
        let socket = try BlockingSocket.connect(port: port, alive: { process.isRunning })
        let pump = TLSSocketPump(engine: try TLSEngine(context: context, serverHostname: hostname, port: port),
                                 socket: socket)
        try pump.handshake()
        return pump
    }

    /// GET / on the `-www` status page; returns the page and how the server ended the session.
    func fetchStatusPage(_ context: TLSClientContext) throws -> (TLSSocketPump, String, TLSCloseReason) {
        let pump = try connect(context)
        try pump.write("GET / HTTP/1.0\r\n\r\n")
        let (bytes, end) = try pump.readToEnd()
        pump.close()
        return (pump, String(decoding: bytes, as: UTF8.self), end)
    }
}

@Suite("TLS client against openssl s_server", .serialized, .onDedicatedThread, .enabled(if: executable("openssl") != nil))
struct TLSClientInteropTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let version: TLSVersion
        let alpn: String
        var testDescription: String { "\(version) \(alpn)" }
    }

    @Test("TLS 1.2 and 1.3, ALPN h2 and http/1.1, a clean close", arguments: [
        Case(version: .tls12, alpn: "h2"), Case(version: .tls12, alpn: "http/1.1"),
        Case(version: .tls13, alpn: "h2"), Case(version: .tls13, alpn: "http/1.1"),
    ])
    func versionsAndALPN(_ example: Case) throws {
        let server = try OpenSSLServer(["-www", example.version == .tls12 ? "-tls1_2" : "-tls1_3",
                                        "-alpn", example.alpn])
        let context = try TLSClientContext(configuration: TestPKI.clientConfiguration())
        let (pump, page, end) = try server.fetchStatusPage(context)
        #expect(page.hasPrefix("HTTP/1.0 200 ok"), "\(page.prefix(200))")
        #expect(page.contains("New, \(example.version)"), "\(page)")
        #expect(pump.engine.negotiatedVersion == example.version)
        #expect(pump.engine.negotiatedALPN == example.alpn)
        #expect(end == .closeNotify)
    }

    @Test("the second connection resumes the session", arguments: [TLSVersion.tls12, .tls13])
    func resumption(version: TLSVersion) throws {
        let server = try OpenSSLServer(["-www", version == .tls12 ? "-tls1_2" : "-tls1_3"])
        let context = try TLSClientContext(configuration: TestPKI.clientConfiguration())
        let (first, firstPage, _) = try server.fetchStatusPage(context)
        #expect(!first.engine.isSessionReused)
        #expect(firstPage.contains("New, \(version)"))
        let (second, secondPage, _) = try server.fetchStatusPage(context)
        #expect(second.engine.isSessionReused)
        #expect(secondPage.contains("Reused, \(version)"), "\(secondPage)")
    }

    @Test("mutual TLS with s_server -Verify: accepted with our certificate, refused without",
          arguments: [TLSVersion.tls12, .tls13])
    func mutualTLS(version: TLSVersion) throws {
        let server = try OpenSSLServer(["-www", "-Verify", "2", "-CAfile", "ca.pem", "-verify_return_error",
                                        version == .tls12 ? "-tls1_2" : "-tls1_3"])
        var configuration = TestPKI.clientConfiguration()
        configuration.clientCertificate = TestPKI.client.keyPair
        let (_, page, _) = try server.fetchStatusPage(TLSClientContext(configuration: configuration))
        #expect(page.contains("courier-client"), "\(page)")

        let error = #expect(throws: TLSError.self) {
            _ = try server.fetchStatusPage(TLSClientContext(configuration: TestPKI.clientConfiguration()))
        }
        #expect(error?.code == (version == .tls13 ? .certificateRequired : .peerAlert), "\(String(describing: error))")
    }

    @Test("verification failures against a real server: wrong name, unknown CA, expired")
    func verificationFailures() throws {
        let server = try OpenSSLServer(["-www"])
        let mismatch = #expect(throws: TLSError.self) {
            _ = try server.connect(TLSClientContext(configuration: TestPKI.clientConfiguration()), hostname: "wrong.example")
        }
        #expect(mismatch?.code == .hostnameMismatch)
        #expect(mismatch?.namesSeen.contains("localhost") == true)

        var stranger = TestPKI.clientConfiguration()
        stranger.trustRoots = TestPKI.stranger.trustRoots
        let untrusted = #expect(throws: TLSError.self) { _ = try server.connect(TLSClientContext(configuration: stranger)) }
        #expect(untrusted?.code == .untrustedCertificate)

        let expired = try OpenSSLServer(["-www"], certificate: TestPKI.authority.issueLocalhost(
            validFrom: .seconds(-10 * 86400), validUntil: .seconds(-86400)))
        let error = #expect(throws: TLSError.self) {
            _ = try expired.connect(TLSClientContext(configuration: TestPKI.clientConfiguration()))
        }
        #expect(error?.code == .certificateExpired)
    }

    @Test("a server that dies mid-stream is a truncation, after the data that did arrive")
    func truncation() throws {
        let server = try OpenSSLServer(["-tls1_3"])
        let pump = try server.connect(TLSClientContext(configuration: TestPKI.clientConfiguration()))
        server.process.send("partial line\n")
        let (bytes, end) = try pump.read(until: { $0.contains(UInt8(ascii: "\n")) })
        #expect(String(decoding: bytes, as: UTF8.self) == "partial line\n")
        #expect(end == nil)
        server.process.stop()  // SIGKILL: the kernel closes the socket, no close_notify
        let (rest, reason) = try pump.readToEnd()
        #expect(rest.isEmpty)
        #expect(reason == .truncated)
    }

    @Test("s_server asking for renegotiation (TLS 1.2) is refused and the session is not renegotiated")
    func renegotiationRefused() throws {
        let server = try OpenSSLServer(["-tls1_2"])
        let pump = try server.connect(TLSClientContext(configuration: TestPKI.clientConfiguration()))
        server.process.send("r\n")  // s_server: renegotiate
        // Our client answers the HelloRequest with a no_renegotiation warning; OpenSSL's server makes
        // that fatal and aborts with handshake_failure.
        var buffer = ByteBuffer()
        let error = #expect(throws: TLSError.self) {
            while case .read = try pump.read(into: &buffer) { buffer.clear() }
        }
        #expect(error?.code == .peerAlert, "\(String(describing: error))")
        #expect(error?.peerAlert == 40)
        #expect(SSL_ctrl(pump.engine.ssl, SSL_CTRL_GET_NUM_RENEGOTIATIONS, 0, nil) == 0)
        // s_server reports the error after sending its alert: give it the moment it needs.
        #expect(server.process.waitForOutput("no renegotiation", inErrors: true), "\(server.process.report)")
        server.process.stop()
        pump.close()
    }
}
