import CourierCore
import CourierTLS
import CourierTestSupport
import Testing

@Suite("TLS client against nginx", .serialized, .onDedicatedThread, .enabled(if: executable("nginx") != nil))
struct TLSNginxInteropTests {
    @Test("HTTP/1.1 over TLS 1.2 and 1.3 with ALPN http/1.1, closed with close_notify",
          arguments: [TLSVersion.tls12, .tls13])
    func http1(version: TLSVersion) throws {
        let nginx = try NginxServer()
        var configuration = TestPKI.clientConfiguration(maximumVersion: version)
        configuration.applicationProtocols = ["http/1.1"]
        let pump = try nginx.connect(TLSClientContext(configuration: configuration))
        #expect(pump.engine.negotiatedVersion == version)
        #expect(pump.engine.negotiatedALPN == "http/1.1")
        try pump.write("GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let (bytes, end) = try pump.readToEnd()
        let response = String(decoding: bytes, as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(response)")
        #expect(response.hasSuffix("\r\n\r\nhello from nginx\n"), "\(response)")
        #expect(end == .closeNotify)
        pump.close()
    }

    @Test("ALPN h2: nginx answers the HTTP/2 preface with its SETTINGS")
    func http2() throws {
        let nginx = try NginxServer()
        let pump = try nginx.connect(TLSClientContext(configuration: TestPKI.clientConfiguration()))
        #expect(pump.engine.negotiatedALPN == "h2")
        // Connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
        try pump.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        try [0, 0, 0, 4, 0, 0, 0, 0, 0].withUnsafeBytes { try pump.write($0) }
        let (bytes, _) = try pump.read(until: { $0.count >= 9 })
        #expect(bytes[3] == 4, "first frame type \(bytes[3])")  // SETTINGS
        #expect(bytes[4] & 1 == 0)  // not an ack: the server's own settings
        pump.close()
    }

    @Test("the second connection resumes the session", arguments: [TLSVersion.tls12, .tls13])
    func resumption(version: TLSVersion) throws {
        let nginx = try NginxServer()
        var configuration = TestPKI.clientConfiguration(maximumVersion: version)
        configuration.applicationProtocols = ["http/1.1"]
        let context = try TLSClientContext(configuration: configuration)
        for round in 0..<3 {
            let pump = try nginx.connect(context)
            #expect(pump.engine.isSessionReused == (round > 0), "round \(round)")
            try pump.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let (bytes, _) = try pump.readToEnd()
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
            pump.close()
        }
    }

    @Test("a client requiring TLS 1.3 against nginx limited to TLS 1.2 fails with protocolVersion")
    func versionMismatch() throws {
        let nginx = try NginxServer(protocols: "TLSv1.2")
        var configuration = TestPKI.clientConfiguration()
        configuration.minimumVersion = .tls13
        let error = #expect(throws: TLSError.self) { _ = try nginx.connect(TLSClientContext(configuration: configuration)) }
        #expect(error?.code == .protocolVersion, "\(String(describing: error))")
    }
}
