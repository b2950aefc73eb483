extension HTTPFields {
    /// Sets `Authorization: Basic …` (RFC 7617) from a user name and password (UTF-8).
    public mutating func setBasicAuthorization(username: String, password: String) {
        self[.authorization] = Authentication.basic(username: username, password: password)
    }

    /// Sets `Authorization: Bearer <token>` (RFC 6750).
    public mutating func setBearerToken(_ token: String) {
        self[.authorization] = "Bearer " + token
    }
}

/// Adds credentials to the requests of chosen hosts, as middleware: `Authorization: Basic` or `Bearer`, the
/// latter from a provider that can refresh an expired token. Credentials go only to the listed hosts and,
/// unless allowed, only over https (loopback hosts excepted), so a redirect or a link to another site never
/// receives them. A request that already carries `Authorization` is left alone.
///
/// With a token provider, a `401 Unauthorized` answer makes the middleware ask for a fresh token once and
/// send the request again (when its body can be replayed), as OkHttp's authenticator does.
public struct Authentication: HTTPClientMiddleware {
    /// Gives the bearer token; `refresh` is true when the previous token was refused (fetch a new one).
    public typealias TokenProvider = @Sendable (_ refresh: Bool) async throws -> String

    enum Credentials: Sendable {
        case basic(String)
        case bearer(TokenProvider)
    }

    let credentials: Credentials
    let hosts: Set<String>
    let allowsCleartext: Bool

    /// Basic credentials for `hosts` (names or IP literals, case-insensitive; `*.example.com` for subdomains).
    public static func basic(username: String, password: String, for hosts: [String],
                             allowsCleartext: Bool = false) -> Authentication {
        Authentication(credentials: .basic(basic(username: username, password: password)),
                       hosts: Set(hosts.map { $0.lowercased() }), allowsCleartext: allowsCleartext)
    }

    /// A fixed bearer token for `hosts`.
    public static func bearer(_ token: String, for hosts: [String], allowsCleartext: Bool = false) -> Authentication {
        bearer(for: hosts, allowsCleartext: allowsCleartext) { _ in token }
    }

    /// Bearer tokens from `provider` (called for every request; cache inside it), refreshed on a 401.
    public static func bearer(for hosts: [String], allowsCleartext: Bool = false,
                              provider: @escaping TokenProvider) -> Authentication {
        Authentication(credentials: .bearer(provider), hosts: Set(hosts.map { $0.lowercased() }),
                       allowsCleartext: allowsCleartext)
    }

    /// The `Authorization` value for Basic credentials.
    public static func basic(username: String, password: String) -> String {
        "Basic " + Base64.encode(Array("\(username):\(password)".utf8))
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        guard request.head.headerFields[.authorization] == nil, applies(to: request.head) else { return try await next(request) }
        var authorized = request
        switch credentials {
        case .basic(let value):
            authorized.head.headerFields[.authorization] = value
            return try await next(authorized)
        case .bearer(let provider):
            authorized.head.headerFields[.authorization] = "Bearer " + (try await token(provider, refresh: false))
            let response = try await next(authorized)
            guard response.status == .unauthorized, request.body?.isReplayable ?? true else { return response }
            await RedirectFollower.discard(response.body, declaredLength: response.headerFields[.contentLength].flatMap { Int($0) })
            authorized.head.headerFields[.authorization] = "Bearer " + (try await token(provider, refresh: true))
            return try await next(authorized)
        }
    }

    private func token(_ provider: TokenProvider, refresh: Bool) async throws(HTTPClientError) -> String {
        do {
            return try await provider(refresh)
        } catch {
            throw HTTPClientError(.invalidRequest, "the bearer token provider failed: \(error)", underlying: HTTPClientError(mapping: error))
        }
    }

    /// Whether `request` goes to one of the hosts, over a transport credentials may use.
    func applies(to request: HTTPRequest) -> Bool {
        guard let url = URLReference(request), let key = url.originKey else { return false }
        guard key.scheme == "https" || allowsCleartext || CookieJar.isLoopback(key.host) else { return false }
        if hosts.contains(key.host) { return true }
        return hosts.contains { $0.hasPrefix("*.") && key.host.hasSuffix($0.dropFirst(1)) }
    }
}
