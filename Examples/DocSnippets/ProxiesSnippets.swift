import Courier

/// The snippets of Docs/proxies.md, compiled (never run: they reach example hosts).
enum ProxiesSnippets {
    /// proxies.md, block 1.
    static func block1(client: HTTPClient) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.proxy = try .url("http://user:secret@proxy.internal:3128", noProxy: "localhost,127.0.0.1,.svc.cluster.local")
        let proxied = HTTPClient(configuration: configuration)
        _ = proxied
    }

    /// proxies.md, block 2.
    static func block2(client: HTTPClient) async throws {
        var split = HTTPClient.Configuration()
        split.proxy = .proxies(http: HTTPClient.Proxy(host: "proxy.internal", port: 3128),
                               https: HTTPClient.Proxy(host: "tunnel.internal", port: 3129, username: "svc", password: "pw"))

        var fromEnvironment = HTTPClient.Configuration()
        fromEnvironment.proxy = .environment
    }
}
