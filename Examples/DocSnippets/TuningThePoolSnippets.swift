import Courier

/// The snippets of Docs/tuning-the-pool.md, compiled (never run: they reach example hosts).
enum TuningThePoolSnippets {
    /// tuning-the-pool.md, block 1.
    static func block1(client: HTTPClient) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.pool.maximumConnectionsPerHost = 32
        configuration.pool.maximumHTTP2ConnectionsPerHost = 2
        configuration.pool.idleTimeout = .seconds(25)
        configuration.pool.maximumConnectionAge = .seconds(300)
        configuration.timeouts.poolAcquire = .seconds(2)
        configuration.httpVersion = .automatic
        let tuned = HTTPClient(configuration: configuration)
        _ = tuned
    }
}
