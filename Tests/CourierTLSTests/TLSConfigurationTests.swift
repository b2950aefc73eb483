#if canImport(Glibc)
import Glibc
#endif
import CourierCore
@testable import CourierTLS
import Testing

@Suite("TLS configuration and generated certificates")
struct TLSConfigurationTests {
    @Test("defaults are safe")
    func defaults() {
        let client = TLSClientConfiguration()
        #expect(client.trustRoots == .system)
        #expect(client.verification == .full)
        #expect(client.minimumVersion == .tls12)
        #expect(client.maximumVersion == .tls13)
        #expect(client.applicationProtocols == ["h2", "http/1.1"])
        #expect(client.sessionResumption)
        #expect(client.pinnedPublicKeys.isEmpty)
        #expect(!client.isInsecure)
        let server = TLSServerConfiguration(certificate: TestPKI.localhost.keyPair)
        #expect(server.clientAuthentication == .none)
        #expect(server.minimumVersion == .tls12)
        #expect(!server.requireApplicationProtocolMatch)
    }

    /// An insecure client never reads the system trust store (parsing the CA bundle SSL_CERT_FILE names
    /// took ~40 ms of every client's start); a verifying one does. In a child process, for the environment.
    @Test("the system store is loaded only for clients that verify")
    func insecureClientsSkipTheSystemStore() async {
        await #expect(processExitsWith: .success) {
            let path = "/tmp/courier-roots-\(getpid()).pem"
            let bundle = TestPKI.authority.certificatePEM
            guard let file = fopen(path, "w") else { exit(2) }
            fputs(bundle, file)
            fclose(file)
            defer { unlink(path) }
            setenv("SSL_CERT_FILE", path, 1)
            setenv("SSL_CERT_DIR", "/nonexistent", 1)
            var insecure = TLSClientConfiguration()
            insecure.verification = .insecureNoVerification
            guard let skipped = try? TLSClientContext(configuration: insecure),
                  let verifying = try? TLSClientContext(configuration: TLSClientConfiguration()) else { exit(3) }
            exit(skipped.trustStoreCount == 0 && verifying.trustStoreCount == 1 ? 0 : 4)
        }
    }

    func expectInvalid(_ body: () throws -> Void, mentioning text: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: TLSError.self, sourceLocation: sourceLocation) { try body() }
        #expect(error?.code == .invalidConfiguration, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.detail.contains(text) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test("unusable configurations fail with invalidConfiguration, saying what is wrong")
    func invalid() {
        let mismatched = TLSCertificateKeyPair(certificateChain: .pem(TestPKI.localhost.certificatePEM),
                                               privateKey: .pem(TestPKI.client.privateKeyPEM))
        expectInvalid({ _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: mismatched)) },
                      mentioning: "cannot be used together")
        let garbage = TLSCertificateKeyPair(certificateChain: .pem("not a certificate"),
                                            privateKey: .pem(TestPKI.localhost.privateKeyPEM))
        expectInvalid({ _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: garbage)) },
                      mentioning: "no valid PEM certificate")
        let noKey = TLSCertificateKeyPair(certificateChain: .pem(TestPKI.localhost.certificatePEM),
                                          privateKey: .pem(TestPKI.localhost.certificatePEM))
        expectInvalid({ _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: noKey)) },
                      mentioning: "private key")
        let missing = TLSCertificateKeyPair(certificateChain: .file("/nonexistent/chain.pem"),
                                            privateKey: .file("/nonexistent/key.pem"))
        expectInvalid({ _ = try TLSServerContext(configuration: TLSServerConfiguration(certificate: missing)) },
                      mentioning: "/nonexistent/chain.pem")

        var client = TLSClientConfiguration()
        client.applicationProtocols = ["h2", ""]
        expectInvalid({ _ = try TLSClientContext(configuration: client) }, mentioning: "ALPN")
        client = TLSClientConfiguration()
        client.minimumVersion = .tls13
        client.maximumVersion = .tls12
        expectInvalid({ _ = try TLSClientContext(configuration: client) }, mentioning: "minimum version")
        client = TLSClientConfiguration()
        client.trustRoots = .custom(.pem(""))
        expectInvalid({ _ = try TLSClientContext(configuration: client) }, mentioning: "trust roots")
        client = TLSClientConfiguration()
        client.clientCertificate = mismatched
        expectInvalid({ _ = try TLSClientContext(configuration: client) }, mentioning: "client certificate")
        client = TLSClientConfiguration()
        client.maximumBufferedCiphertext = 1024
        expectInvalid({ _ = try TLSClientContext(configuration: client) }, mentioning: "maximumBufferedCiphertext")
        expectInvalid({
            _ = try TLSEngine(context: TLSClientContext(configuration: TLSClientConfiguration()), serverHostname: "", port: 443)
        }, mentioning: "empty")
        expectInvalid({
            _ = try TLSEngine(context: TLSClientContext(configuration: TLSClientConfiguration()),
                              serverHostname: "evil.example\0.good.example", port: 443)
        }, mentioning: "NUL")
        expectInvalid({ _ = try TestPKI.authority.issue(commonName: "x", dnsNames: ["a.test,IP:10.0.0.1"]) },
                      mentioning: "not a DNS name")
        expectInvalid({ _ = try TestPKI.authority.issue(commonName: "x", ipAddresses: ["localhost"]) },
                      mentioning: "not an IP address")
        // Found by FuzzTLSConfiguration: an over-long common name was reported as an internal failure.
        expectInvalid({ _ = try TestPKI.authority.issue(commonName: String(repeating: "@", count: 80)) },
                      mentioning: "common name")
        expectInvalid({ _ = try TestPKI.authority.issue(commonName: "") }, mentioning: "common name")
    }

    @Test("errors describe themselves with OpenSSL's words")
    func errorDescription() {
        let error = TLSError(code: .untrustedCertificate, detail: "the chain is not trusted",
                             openSSLErrors: ["error:0A000086:SSL routines::certificate verify failed"],
                             namesSeen: ["localhost"])
        #expect(error.description.contains("untrustedCertificate"))
        #expect(error.description.contains("certificate verify failed"))
        #expect(error.description.contains("localhost"))
        #expect(error.isCertificateFailure)
        #expect(!error.isPrematureClose)
        #expect(TLSError(code: .truncated, detail: "cut").isPrematureClose)
        #expect(TLSError.Code.handshakeTimeout.description == "handshakeTimeout")
    }

    @Test("the generated CA and localhost leaf say what they should")
    func generatedCertificates() throws {
        let authority = try TLSCertificateAuthority(commonName: "Generated CA")
        let leaf = try authority.issueLocalhost(validFrom: .seconds(-60), validUntil: .seconds(3600))
        #expect(authority.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(leaf.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(leaf.chainPEM == leaf.certificatePEM)
        var client = TLSClientConfiguration()
        client.trustRoots = authority.trustRoots
        let pair = try EnginePair(client: TLSClientContext(configuration: client),
                                  server: TLSServerContext(configuration: TLSServerConfiguration(certificate: leaf.keyPair)))
        #expect(pair.handshake().succeeded)
        let info = try #require(pair.client.peerCertificate)
        #expect(info.subject.contains("CN=localhost"))
        #expect(info.issuer.contains("CN=Generated CA"))
        #expect(info.names == ["localhost", "127.0.0.1", "::1"])
        let now = Int64(time(nil))
        #expect(abs(info.notValidBefore - (now - 60)) <= 5)
        #expect(abs(info.notValidAfter - (now + 3600)) <= 5)
        #expect(info.serialNumber.count >= 30)
        #expect(info.der.first == 0x30)
        // Two leaves never share a serial number or a key.
        let other = try authority.issueLocalhost()
        #expect(other.privateKeyPEM != leaf.privateKeyPEM)
        let intermediate = try authority.issueIntermediate()
        let chained = try intermediate.issue(commonName: "deep", dnsNames: ["deep.test"])
        #expect(chained.chainPEM.split(separator: "-----BEGIN CERTIFICATE-----").count == 2)
    }

    @Test("one context serves many engines on many threads")
    func sharedContext() async throws {
        let client = try TLSClientContext(configuration: TestPKI.clientConfiguration())
        let server = try TLSServerContext(configuration: TestPKI.serverConfiguration())
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ok = true
                    for _ in 0..<10 {
                        let pair = try EnginePair(client: client, server: server)
                        ok = ok && pair.handshake().succeeded
                        ok = try ok && pair.send(Array("x".utf8), from: pair.server) == Array("x".utf8)
                    }
                    return ok
                }
            }
            for try await ok in group { #expect(ok) }
        }
        #expect(client.sessionCache?.count == 1)
    }
}
