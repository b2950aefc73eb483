#if canImport(Glibc)
import Glibc
#endif
import CourierCore
import CourierTLS
import Testing

@Suite("TLS certificate verification: trust, validity, names, pins, insecure mode")
struct TLSVerificationTests {
    func connect(
        _ client: TLSClientConfiguration = TestPKI.clientConfiguration(),
        server certificate: TLSIssuedCertificate = TestPKI.localhost, hostname: String = "localhost"
    ) throws -> (EnginePair, EnginePair.Outcome) {
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration(certificate)),
                                  hostname: hostname)
        return (pair, pair.handshake())
    }

    @Test("DNS names and IP literals that the certificate covers are accepted; SNI only for names",
          arguments: [("localhost", "localhost"), ("LOCALHOST.", "localhost"), ("127.0.0.1", nil),
                      ("::1", nil), ("[::1]", nil)] as [(String, String?)])
    func namesAccepted(hostname: String, sni: String?) throws {
        let (pair, outcome) = try connect(hostname: hostname)
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.server.serverName == sni)
        #expect(pair.client.serverName == sni)
    }

    @Test("a certificate for other names fails with hostnameMismatch and lists what it covers",
          arguments: ["example.com", "localhost.example", "10.0.0.1", "::2"])
    func hostnameMismatch(hostname: String) throws {
        let (_, outcome) = try connect(hostname: hostname)
        let error = try #require(outcome.client, "\(outcome)")
        #expect(error.code == .hostnameMismatch, "\(error)")
        #expect(error.namesSeen == ["localhost", "127.0.0.1", "::1"])
        #expect(error.expectedName == hostname.lowercased())
        #expect(error.detail.contains(hostname))
        #expect(error.isCertificateFailure)
        #expect(!error.openSSLErrors.isEmpty)
        // The client told the server why with an alert.
        #expect(outcome.server?.code == .peerRejectedCertificate, "\(String(describing: outcome.server))")
    }

    @Test("wildcards match one label only")
    func wildcards() throws {
        let certificate = try TestPKI.authority.issue(commonName: "wildcard", dnsNames: ["*.example.test"])
        #expect(try connect(server: certificate, hostname: "api.example.test").1.succeeded)
        #expect(try connect(server: certificate, hostname: "a.b.example.test").1.client?.code == .hostnameMismatch)
        #expect(try connect(server: certificate, hostname: "example.test").1.client?.code == .hostnameMismatch)
    }

    @Test("an expired certificate fails with certificateExpired, saying when")
    func expired() throws {
        let certificate = try TestPKI.authority.issueLocalhost(validFrom: .seconds(-10 * 86400), validUntil: .seconds(-86400))
        let error = try #require(try connect(server: certificate).1.client)
        #expect(error.code == .certificateExpired, "\(error)")
        #expect(error.detail.contains("expired on 20"), "\(error.detail)")
        #expect(error.detail.contains("CN=localhost"), "\(error.detail)")
    }

    @Test("a certificate not valid yet fails with certificateNotYetValid")
    func notYetValid() throws {
        let certificate = try TestPKI.authority.issueLocalhost(validFrom: .seconds(86400), validUntil: .seconds(2 * 86400))
        let error = try #require(try connect(server: certificate).1.client)
        #expect(error.code == .certificateNotYetValid, "\(error)")
    }

    @Test("an expired intermediate is reported as expired too")
    func expiredIntermediate() throws {
        let intermediate = try TestPKI.authority.issueIntermediate(validFrom: .seconds(-10 * 86400), validUntil: .seconds(-86400))
        let leaf = try intermediate.issueLocalhost()
        let error = try #require(try connect(server: leaf).1.client)
        #expect(error.code == .certificateExpired, "\(error)")
        #expect(error.detail.contains("Intermediate"), "\(error.detail)")
    }

    @Test("a chain from an unknown CA fails with untrustedCertificate, naming the certificate")
    func untrusted() throws {
        let (_, outcome) = try connect(server: TestPKI.strangerLocalhost)
        let error = try #require(outcome.client)
        #expect(error.code == .untrustedCertificate, "\(error)")
        #expect(error.detail.contains("Stranger CA"), "\(error.detail)")
        #expect(error.verificationResult != nil)
        #expect(outcome.server?.code == .peerRejectedCertificate)
        #expect(outcome.server?.peerAlert == 48)  // unknown_ca
    }

    @Test("a self-signed server certificate is untrusted")
    func selfSigned() throws {
        // A CA certificate used as the server's own certificate: self-signed, not in the trust roots.
        let selfSigned = try TLSCertificateAuthority(commonName: "localhost")
        let issued = try selfSigned.issueLocalhost()
        var configuration = TestPKI.clientConfiguration()
        configuration.trustRoots = TestPKI.stranger.trustRoots
        let error = try #require(try connect(configuration, server: issued).1.client)
        #expect(error.code == .untrustedCertificate, "\(error)")
    }

    @Test("the default configuration verifies against the system store, which does not know our test CA")
    func systemTrustStoreByDefault() throws {
        let error = try #require(try connect(TLSClientConfiguration()).1.client)
        #expect(error.code == .untrustedCertificate, "\(error)")
        let context = try TLSClientContext(configuration: TLSClientConfiguration())
        #expect(!context.isInsecure)
        #expect(context.securityWarning == nil)
    }

    @Test("insecure mode accepts an untrusted, expired certificate for another name, and says so")
    func insecure() throws {
        var configuration = TLSClientConfiguration()
        configuration.verification = .insecureNoVerification
        let certificate = try TestPKI.stranger.issue(commonName: "elsewhere", dnsNames: ["elsewhere.test"],
                                                     validFrom: .seconds(-10 * 86400), validUntil: .seconds(-86400))
        let (pair, outcome) = try connect(configuration, server: certificate, hostname: "localhost")
        #expect(outcome.succeeded, "\(outcome)")
        #expect(pair.client.peerCertificate?.commonName == "elsewhere")
        let context = try TLSClientContext(configuration: configuration)
        #expect(context.isInsecure)
        #expect(context.securityWarning?.contains("verification is disabled") == true)
    }

    @Test("trust roots from a PEM file")
    func trustRootsFromFile() throws {
        let path = "/tmp/courier-tls-ca-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pem"
        let file = try #require(fopen(path, "w"))
        fputs(TestPKI.authority.certificatePEM, file)
        fclose(file)
        defer { unlink(path) }
        var configuration = TestPKI.clientConfiguration()
        configuration.trustRoots = .custom(.file(path))
        #expect(try connect(configuration).1.succeeded)
    }

    @Test("pinning: a pinned leaf or CA key passes, anything else fails with pinningFailed")
    func pinning() throws {
        var configuration = TestPKI.clientConfiguration()
        let (pair, _) = try connect(configuration)
        let leafPin = try #require(pair.client.peerCertificate?.publicKeyPin)

        configuration.pinnedPublicKeys = [leafPin]
        #expect(try connect(configuration).1.succeeded)

        let caPin = try TLSEngineProbe.authorityPin()
        configuration.pinnedPublicKeys = [caPin]
        #expect(try connect(configuration).1.succeeded)

        configuration.pinnedPublicKeys = [TLSPublicKeyPin(sha256: [UInt8](repeating: 7, count: 32))!]
        let (failed, outcome) = try connect(configuration)
        let error = try #require(outcome.client)
        #expect(error.code == .pinningFailed, "\(error)")
        #expect(error.detail.contains(leafPin.description), "\(error.detail)")
        // A failed engine stays failed and refuses data.
        #expect(throws: TLSError.self) { try failed.client.writePlaintext(ByteBuffer(string: "x")) }
    }

    @Test("pins parse from base64 with or without the sha256/ prefix")
    func pinParsing() throws {
        let pin = try #require(TLSPublicKeyPin(sha256: (0..<32).map { UInt8($0) }))
        let text = pin.description
        #expect(text.hasPrefix("sha256/"))
        #expect(TLSPublicKeyPin(base64: text) == pin)
        #expect(TLSPublicKeyPin(base64: String(text.dropFirst(7))) == pin)
        #expect(TLSPublicKeyPin(base64: "sha256//" + text.dropFirst(7)) == pin)
        #expect(TLSPublicKeyPin(base64: "not base64") == nil)
        #expect(TLSPublicKeyPin(base64: String(text.dropFirst(8))) == nil)
        #expect(TLSPublicKeyPin(sha256: [1, 2, 3]) == nil)
        #expect(TLSPublicKeyPin(base64: "sha256///" + text.dropFirst(7)) == nil)
        #expect(TLSPublicKeyPin(base64: "sha512/" + text.dropFirst(7)) == nil)
    }

    /// A digest whose base64 begins with '/' (its first byte is 0xfc or more): "sha256/" + "/…" reads as the
    /// curl-style "sha256//" prefix, so the prefix is taken from the length rather than by matching.
    @Test("a pin whose base64 begins with a slash round-trips through its description")
    func pinBeginningWithSlash() throws {
        let pin = try #require(TLSPublicKeyPin(sha256: [0xfc] + (1..<32).map { UInt8($0) }))
        let base64 = String(pin.description.dropFirst(7))
        #expect(base64.hasPrefix("/"))
        #expect(TLSPublicKeyPin(base64: pin.description) == pin)
        #expect(TLSPublicKeyPin(base64: "sha256//" + base64) == pin)
        #expect(TLSPublicKeyPin(base64: base64) == pin)
    }
}

/// Reads the test CA's own pin by serving its certificate and looking at what the client sees.
enum TLSEngineProbe {
    static func authorityPin() throws -> TLSPublicKeyPin {
        // Serve the CA certificate itself as the server's certificate (with its key), insecurely.
        var client = TLSClientConfiguration()
        client.verification = .insecureNoVerification
        let server = TLSServerConfiguration(certificate: TLSCertificateKeyPair(
            certificateChain: .pem(TestPKI.authority.certificatePEM), privateKey: .pem(TestPKI.authority.privateKeyPEM)))
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: server))
        guard pair.handshake().succeeded, let pin = pair.client.peerCertificate?.publicKeyPin else {
            throw TLSError(code: .internal, detail: "cannot read the CA's pin")
        }
        return pin
    }
}
