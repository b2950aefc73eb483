import CourierCore
import CourierTLS
import Testing

@Suite("TLS handshake: versions, ALPN, mutual TLS")
struct TLSHandshakeTests {
    @Test("TLS 1.3 by default, with ALPN h2, SNI and the server's certificate")
    func tls13Default() throws {
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration()))
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.client.negotiatedVersion == .tls13)
        #expect(pair.server.negotiatedVersion == .tls13)
        #expect(pair.client.negotiatedALPN == "h2")
        #expect(pair.server.negotiatedALPN == "h2")
        #expect(pair.server.serverName == "localhost")
        #expect(pair.client.cipherSuite?.hasPrefix("TLS_") == true)
        #expect(pair.client.isSessionReused == false)
        let certificate = try #require(pair.client.peerCertificate)
        #expect(certificate.commonName == "localhost")
        #expect(certificate.dnsNames == ["localhost"])
        #expect(certificate.ipAddresses == ["127.0.0.1", "::1"])
        #expect(pair.server.peerCertificate == nil)
    }

    @Test("TLS 1.2 when the server stops there, and when the client does", arguments: [true, false])
    func tls12(serverLimits: Bool) throws {
        let client = TestPKI.clientConfiguration(maximumVersion: serverLimits ? .tls13 : .tls12)
        let server = TestPKI.serverConfiguration(maximumVersion: serverLimits ? .tls12 : .tls13)
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.client.negotiatedVersion == .tls12)
        #expect(pair.server.negotiatedVersion == .tls12)
        #expect(pair.client.negotiatedALPN == "h2")
        #expect(try pair.send(Array("over TLS 1.2".utf8), from: pair.client) == Array("over TLS 1.2".utf8))
    }

    @Test("a client requiring TLS 1.3 and a server stopping at 1.2 fail with protocolVersion on both sides")
    func versionMismatch() throws {
        var client = TestPKI.clientConfiguration()
        client.minimumVersion = .tls13
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration(maximumVersion: .tls12)))
        let outcome = pair.handshake()
        #expect(outcome.client?.code == .protocolVersion, "\(outcome)")
        #expect(outcome.server?.code == .protocolVersion, "\(outcome)")
        #expect(outcome.client?.peerAlert == 70)
        #expect(outcome.client?.openSSLErrors.isEmpty == false)
    }

    struct ALPNCase: Sendable, CustomTestStringConvertible {
        let client: [String]
        let server: [String]
        let expected: String?
        var testDescription: String { "client \(client) server \(server) → \(expected ?? "none")" }
    }

    @Test("ALPN picks the server's first protocol that the client offers", arguments: [
        ALPNCase(client: ["h2", "http/1.1"], server: ["h2", "http/1.1"], expected: "h2"),
        ALPNCase(client: ["http/1.1"], server: ["h2", "http/1.1"], expected: "http/1.1"),
        ALPNCase(client: ["h2", "http/1.1"], server: ["http/1.1"], expected: "http/1.1"),
        ALPNCase(client: ["h2", "http/1.1"], server: ["http/1.1", "h2"], expected: "http/1.1"),
        ALPNCase(client: [], server: ["h2", "http/1.1"], expected: nil),
        ALPNCase(client: ["h2"], server: [], expected: nil),
        ALPNCase(client: ["spdy/3"], server: ["h2", "http/1.1"], expected: nil),
    ])
    func alpn(_ example: ALPNCase) throws {
        var client = TestPKI.clientConfiguration()
        client.applicationProtocols = example.client
        var server = TestPKI.serverConfiguration()
        server.applicationProtocols = example.server
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.client.negotiatedALPN == example.expected)
        #expect(pair.server.negotiatedALPN == example.expected)
    }

    @Test("a server requiring an ALPN match refuses a client with none in common", arguments: [TLSVersion.tls12, .tls13])
    func alpnMismatch(version: TLSVersion) throws {
        var client = TestPKI.clientConfiguration(maximumVersion: version)
        client.applicationProtocols = ["spdy/3"]
        var server = TestPKI.serverConfiguration()
        server.requireApplicationProtocolMatch = true
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.client?.code == .alpnMismatch, "\(outcome)")
        #expect(outcome.client?.peerAlert == 120)
        #expect(outcome.server?.code == .alpnMismatch, "\(outcome)")
    }

    @Test("mutual TLS: the server sees the client's certificate", arguments: [TLSVersion.tls12, .tls13])
    func mutualTLSAccepted(version: TLSVersion) throws {
        var client = TestPKI.clientConfiguration(maximumVersion: version)
        client.clientCertificate = TestPKI.client.keyPair
        var server = TestPKI.serverConfiguration()
        server.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.server.peerCertificate?.commonName == "courier-client")
        #expect(try pair.send(Array("ping".utf8), from: pair.client) == Array("ping".utf8))
        #expect(try pair.send(Array("pong".utf8), from: pair.server) == Array("pong".utf8))
    }

    /// In TLS 1.3 the client finishes before the server checks its certificate, so the client learns of
    /// the rejection from the alert on its first read; in TLS 1.2 the handshake itself fails.
    func clientOutcome(_ pair: EnginePair, _ outcome: EnginePair.Outcome) -> TLSError? {
        if let error = outcome.client { return error }
        do {
            _ = try pair.drain(pair.client)
            return nil
        } catch {
            return error as? TLSError
        }
    }

    @Test("mutual TLS: a client without a certificate is refused", arguments: [TLSVersion.tls12, .tls13])
    func mutualTLSMissingCertificate(version: TLSVersion) throws {
        var server = TestPKI.serverConfiguration()
        server.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: version)),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.server?.code == .certificateRequired, "\(outcome)")
        let clientError = clientOutcome(pair, outcome)
        // TLS 1.3 has a certificate_required alert; TLS 1.2 servers send handshake_failure.
        #expect(clientError?.code == (version == .tls13 ? .certificateRequired : .peerAlert), "\(String(describing: clientError))")
        #expect(clientError?.peerAlert == (version == .tls13 ? 116 : 40))
    }

    @Test("mutual TLS: a client certificate from an unknown CA is refused", arguments: [TLSVersion.tls12, .tls13])
    func mutualTLSUntrustedCertificate(version: TLSVersion) throws {
        var client = TestPKI.clientConfiguration(maximumVersion: version)
        client.clientCertificate = TestPKI.strangerClient.keyPair
        var server = TestPKI.serverConfiguration()
        server.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        let outcome = pair.handshake()
        #expect(outcome.server?.code == .untrustedCertificate, "\(outcome)")
        #expect(outcome.server?.namesSeen == ["stranger-client"])
        let clientError = clientOutcome(pair, outcome)
        #expect(clientError?.code == .peerRejectedCertificate, "\(String(describing: clientError))")
    }

    @Test("mutual TLS optional: a client without a certificate is accepted")
    func mutualTLSOptional() throws {
        var server = TestPKI.serverConfiguration()
        server.clientAuthentication = .optional(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                  server: TLSServerContext(configuration: server))
        #expect(pair.handshake().succeeded)
        #expect(pair.server.peerCertificate == nil)
        #expect(try pair.send([1, 2, 3], from: pair.client) == [1, 2, 3])
    }

    @Test("a server presenting an intermediate is trusted through it")
    func intermediateChain() throws {
        let intermediate = try TestPKI.authority.issueIntermediate()
        let leaf = try intermediate.issueLocalhost()
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration(leaf)))
        let outcome = pair.handshake()
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.client.peerCertificate?.issuer.contains("Courier Test Intermediate CA") == true)
    }

    @Test("the handshake survives ciphertext arriving one byte at a time", arguments: [1, 7, 1000])
    func splitInvariance(chunk: Int) throws {
        var client = TestPKI.clientConfiguration()
        client.clientCertificate = TestPKI.client.keyPair
        var server = TestPKI.serverConfiguration()
        server.clientAuthentication = .required(trustRoots: .pem(TestPKI.authority.certificatePEM))
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        pair.chunkSize = chunk
        #expect(pair.handshake().succeeded)
        let message = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try pair.send(message, from: pair.server) == message)
    }

    @Test("a peer that does not speak TLS is a protocol violation")
    func notTLS() throws {
        let engine = try TLSEngine(context: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                   serverHostname: "localhost", port: 80)
        #expect(try engine.handshake() == .wantRead)
        engine.feedCiphertext(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
        let error = #expect(throws: TLSError.self) { try engine.handshake() }
        #expect(error?.code == .protocolViolation, "\(String(describing: error))")
        // Errors stick: the engine keeps reporting the same failure.
        let again = #expect(throws: TLSError.self) { try engine.handshake() }
        #expect(again?.code == .protocolViolation)
    }

    @Test("the peer closing during the handshake is closedDuringHandshake")
    func closedDuringHandshake() throws {
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration()))
        #expect(try pair.client.handshake() == .wantRead)
        pair.flush()
        #expect(try pair.server.handshake() == .wantRead)
        // The server's first flight arrives only in part, then the stream ends.
        var flight = ByteBuffer()
        pair.server.outboundCiphertext(into: &flight)
        pair.client.feedCiphertext(flight.getSlice(at: 0, length: flight.readableBytes / 2)!)
        pair.client.receivedEndOfStream()
        let error = #expect(throws: TLSError.self) { try pair.client.handshake() }
        #expect(error?.code == .closedDuringHandshake, "\(String(describing: error))")

        // And a server whose client vanishes before saying anything.
        let server = try TLSEngine(context: TLSServerContext(configuration: TestPKI.serverConfiguration()))
        #expect(try server.handshake() == .wantRead)
        server.receivedEndOfStream()
        let serverError = #expect(throws: TLSError.self) { try server.handshake() }
        #expect(serverError?.code == .closedDuringHandshake, "\(String(describing: serverError))")
    }
}
