import CourierCore
import CourierTLS
import Testing

@Suite("TLS session resumption")
struct TLSSessionResumptionTests {
    /// Connects, exchanges a little data (TLS 1.3 tickets arrive after the handshake and are read with
    /// it) and closes cleanly; returns the pair.
    @discardableResult
    func connect(_ client: TLSClientContext, _ server: TLSServerContext, hostname: String = "localhost",
                 port: Int = 443) throws -> EnginePair {
        let pair = try EnginePair(client: client, server: server, hostname: hostname, port: port)
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(try pair.send(Array("hello".utf8), from: pair.server) == Array("hello".utf8))
        #expect(try pair.send(Array("hi".utf8), from: pair.client) == Array("hi".utf8))
        pair.client.close()
        _ = try pair.drain(pair.server)
        return pair
    }

    @Test("a second connection to the same origin resumes (OpenSSL reports a reused session)",
          arguments: [TLSVersion.tls12, .tls13])
    func resumes(version: TLSVersion) throws {
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: version))
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        let first = try connect(client, server)
        #expect(!first.client.isSessionReused)
        #expect(client.sessionCache?.count == 1)
        for _ in 0..<3 {
            let again = try connect(client, server)
            #expect(again.client.isSessionReused)
            #expect(again.server.isSessionReused)
            #expect(again.client.negotiatedVersion == version)
            #expect(again.client.negotiatedALPN == "h2")
            // The resumed session still knows who the server is.
            #expect(again.client.peerCertificate?.commonName == "localhost")
        }
    }

    @Test("sessions are per origin: another host or port does a full handshake")
    func perOrigin() throws {
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration())
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        try connect(client, server, hostname: "localhost", port: 8443)
        #expect(try !connect(client, server, hostname: "127.0.0.1", port: 8443).client.isSessionReused)
        #expect(try !connect(client, server, hostname: "localhost", port: 9443).client.isSessionReused)
        #expect(try connect(client, server, hostname: "localhost", port: 8443).client.isSessionReused)
        #expect(client.sessionCache?.count == 3)
    }

    @Test("a shared cache never offers one context's sessions under another configuration")
    func perContext() throws {
        let cache = TLSSessionCache()
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        let one = try TLSClientContext(configuration: TestPKI.clientConfiguration(), sessionCache: cache)
        var pinned = TestPKI.clientConfiguration()
        pinned.pinnedPublicKeys = [try TLSEngineProbe.authorityPin()]
        let two = try TLSClientContext(configuration: pinned, sessionCache: cache)
        try connect(one, server)
        #expect(try !connect(two, server).client.isSessionReused)
        #expect(try connect(two, server).client.isSessionReused)  // pinned and resumed
        #expect(try connect(one, server).client.isSessionReused)
        #expect(cache.count == 2)
    }

    @Test("mutual TLS sessions resume and keep the client's identity", arguments: [TLSVersion.tls12, .tls13])
    func mutualTLS(version: TLSVersion) throws {
        var clientConfiguration = TestPKI.clientConfiguration(maximumVersion: version)
        clientConfiguration.clientCertificate = TestPKI.client.keyPair
        var serverConfiguration = TestPKI.serverConfiguration()
        serverConfiguration.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let client = try TLSClientContext(configuration: clientConfiguration)
        let server = try TLSServerContext(configuration: serverConfiguration)
        try connect(client, server)
        let again = try connect(client, server)
        #expect(again.server.isSessionReused)
        #expect(again.server.peerCertificate?.commonName == "courier-client")
    }

    @Test("a session survives a connection that ends without close_notify, or is dropped without close()",
          arguments: [TLSVersion.tls12, .tls13])
    func survivesUncleanEnds(version: TLSVersion) throws {
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: version))
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        do {
            // The server's stream just stops after the response.
            let pair = try EnginePair(client: client, server: server)
            #expect(pair.handshake().succeeded)
            #expect(try pair.send(Array("response".utf8), from: pair.server) == Array("response".utf8))
            pair.client.receivedEndOfStream()
            #expect(try pair.drain(pair.client).1 == .closed(.truncated))
        }
        do {
            // Resumed, then both engines are dropped without close().
            let pair = try EnginePair(client: client, server: server)
            #expect(pair.handshake().succeeded)
            #expect(pair.client.isSessionReused)
            #expect(try pair.send(Array("x".utf8), from: pair.server) == Array("x".utf8))
        }
        let pair = try EnginePair(client: client, server: server)
        #expect(pair.handshake().succeeded)
        #expect(pair.client.isSessionReused)
    }

    @Test("the session offered by a connection that failed is not offered again")
    func failedConnectionDiscardsSession() throws {
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: .tls12))
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        try connect(client, server)
        #expect(client.sessionCache?.count == 1)
        // A resumed connection that dies of a protocol error (a corrupted record).
        let pair = try EnginePair(client: client, server: server)
        #expect(pair.handshake().succeeded)
        #expect(pair.client.isSessionReused)
        _ = try pair.server.writePlaintext(ByteBuffer(string: "will be corrupted"))
        var record = ByteBuffer()
        pair.server.outboundCiphertext(into: &record)
        record.withUnsafeMutableReadableBytes { $0[$0.count - 1] ^= 1 }
        pair.client.feedCiphertext(record)
        var buffer = ByteBuffer()
        let error = #expect(throws: TLSError.self) { try pair.client.readPlaintext(into: &buffer) }
        #expect(error?.code == .protocolViolation, "\(String(describing: error))")
        #expect(client.sessionCache?.count == 0)
        #expect(try !connect(client, server).client.isSessionReused)
    }

    @Test("with resumption off there is no cache and every handshake is full")
    func disabled() throws {
        var configuration = TestPKI.clientConfiguration()
        configuration.sessionResumption = false
        let client = try TLSClientContext(configuration: configuration)
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        #expect(client.sessionCache == nil)
        try connect(client, server)
        #expect(try !connect(client, server).client.isSessionReused)
    }

    @Test("a server with resumption off is not resumed", arguments: [TLSVersion.tls12, .tls13])
    func serverDisabled(version: TLSVersion) throws {
        var serverConfiguration = TestPKI.serverConfiguration(maximumVersion: version)
        serverConfiguration.sessionResumption = false
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration())
        let server = try TLSServerContext(configuration: serverConfiguration)
        try connect(client, server)
        #expect(try !connect(client, server).client.isSessionReused)
    }

    @Test("the cache forgets the least recently used origin beyond its capacity")
    func capacity() throws {
        let cache = TLSSessionCache(capacity: 2)
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: .tls12),
                                          sessionCache: cache)
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        try connect(client, server, port: 1)
        try connect(client, server, port: 2)
        #expect(try connect(client, server, port: 1).client.isSessionReused)  // 1 is now the most recent
        try connect(client, server, port: 3)  // evicts 2
        #expect(cache.count == 2)
        #expect(try !connect(client, server, port: 2).client.isSessionReused)  // evicts 1
        #expect(try connect(client, server, port: 3).client.isSessionReused)
        cache.removeAll()
        #expect(cache.count == 0)
        #expect(try !connect(client, server, port: 3).client.isSessionReused)
    }
}
