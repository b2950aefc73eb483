/// How a request flows through the client's features (Docs/features.md):
///
///     execute ─ redirects ─┬─ user middleware ─ cookies ─ decompression ─ transport (network or mock)
///                          └─ (again for every hop)
///
/// Redirects are outermost, so middleware (retries, breakers, limiters) and the per-hop features see every
/// hop as its own request, and the cookie jar sees every `Set-Cookie` along the way. Features switched off
/// cost a check each.
extension HTTPClient {
    /// Runs `request` through every feature, the middleware chain and the transport.
    func executeWithFeatures(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        if request.options.followRedirects ?? configuration.redirects.isEnabled {
            return try await RedirectFollower(policy: configuration.redirects).run(request) { (hop) async throws(HTTPClientError) in
                try await executeHop(hop)
            }
        }
        return try await executeHop(request)
    }

    /// The bottom of the middleware chain: the per-hop features around the transport.
    func executeFeaturesAndTransport(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        var request = request
        let decompress = request.options.decompressResponse ?? configuration.decompression.isEnabled
        if decompress { ContentDecoding.prepare(&request.head) }
        let jar = configuration.cookieJar
        jar?.addCookies(to: &request.head)
        var response = try await bottom(request)
        jar?.store(from: response.head, for: request.head)
        if decompress {
            response = try ContentDecoding.decode(response, method: request.head.method,
                                                  configuration: configuration.decompression)
        }
        return response
    }
}

/// What the configuration's features need, prepared once when the client is created.
struct ClientFeatures: Sendable {
    /// The proxies, environment variables read.
    let proxy: HTTPClient.ProxyConfiguration

    init(configuration: HTTPClient.Configuration) {
        proxy = configuration.proxy.resolved()
    }
}
