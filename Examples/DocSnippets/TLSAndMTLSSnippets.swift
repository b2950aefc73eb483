import Courier

/// The snippets of Docs/tls-and-mtls.md, compiled (never run: they reach example hosts).
enum TLSAndMTLSSnippets {
    /// tls-and-mtls.md, block 1.
    static func block1(client: HTTPClient) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = .custom(.file("/etc/ssl/private-ca.pem"))
        configuration.tls.minimumVersion = .tls13
        let internalClient = HTTPClient(configuration: configuration)
        _ = internalClient
    }

    /// tls-and-mtls.md, block 2.
    static func block2(client: HTTPClient) async throws {
        var mtls = HTTPClient.Configuration()
        mtls.tls.trustRoots = .custom(.file("/etc/service/ca.pem"))
        mtls.tls.clientCertificate = TLSCertificateKeyPair(
            certificateChain: .file("/etc/service/client-chain.pem"),
            privateKey: .file("/etc/service/client-key.pem"))
        let serviceClient = HTTPClient(configuration: mtls)
        _ = serviceClient
    }

    /// tls-and-mtls.md, block 3.
    static func block3(client: HTTPClient) async throws {
        var pinned = HTTPClient.Configuration()
        pinned.tls.pinnedPublicKeys = [TLSPublicKeyPin(base64: "hgnGOpoLIZwyvsizjnkhZlAN7nxgcRDJG/ypDApkE0E=")!]
    }

}
