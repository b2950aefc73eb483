import CourierTLS

/// Certificates generated once per test process (in memory, no files in the repository).
enum TestPKI {
    static let authority = try! TLSCertificateAuthority(commonName: "Courier Test Root")
    static let localhost = try! authority.issueLocalhost()
    static let client = try! authority.issue(commonName: "courier-client")

    /// A CA nobody trusts, and a localhost leaf from it.
    static let stranger = try! TLSCertificateAuthority(commonName: "Stranger CA")
    static let strangerLocalhost = try! stranger.issueLocalhost()
    static let strangerClient = try! stranger.issue(commonName: "stranger-client")

    static func serverConfiguration(
        _ certificate: TLSIssuedCertificate = localhost, maximumVersion: TLSVersion = .tls13
    ) -> TLSServerConfiguration {
        var configuration = TLSServerConfiguration(certificate: certificate.keyPair)
        configuration.maximumVersion = maximumVersion
        return configuration
    }

    static func clientConfiguration(maximumVersion: TLSVersion = .tls13) -> TLSClientConfiguration {
        var configuration = TLSClientConfiguration()
        configuration.trustRoots = authority.trustRoots
        configuration.maximumVersion = maximumVersion
        return configuration
    }
}
