extension HTTPClient {
    /// Whether and how far redirects are followed (RFC 9110 §15.4). On by default, as in aiohttp, OkHttp,
    /// URLSession and AsyncHTTPClient (curl needs `-L`; httpx needs `follow_redirects=True`).
    ///
    /// 301, 302, 303, 307 and 308 with a `Location` are followed; the others (300, 304, 305, 306) and
    /// redirects to a scheme other than http(s) come back as they are. 303 turns any method but HEAD into a
    /// bodiless GET, as do 301 and 302 for POST (what every user agent does); 307 and 308 keep the method
    /// and send the body again, which must then be replayable (`bodyNotReplayable` otherwise).
    /// `Authorization`, `Cookie` and `Proxy-Authorization` are removed when a hop leaves the origin (an
    /// upgrade from http to https on the same host and default ports keeps them).
    public struct RedirectPolicy: Sendable, Hashable {
        /// Whether to follow redirects (a request's `options.followRedirects` overrides).
        public var isEnabled = true
        /// The most redirects one request follows; one more fails with `tooManyRedirects`.
        public var maximumRedirects = 10
        /// Whether a redirect from https to http may be followed (otherwise `insecureRedirect`).
        public var allowsInsecureRedirects = false
        /// Whether to fail with `redirectLoop` when a hop comes back to a URL already visited with the same
        /// method, unless a `Set-Cookie` arrived in between (a login that sets a cookie and returns is not a loop).
        public var detectsLoops = true

        /// The defaults: follow up to 10 redirects, refuse https → http, detect loops.
        public init() {}

        /// Redirects are returned to the caller, never followed.
        public static var disabled: RedirectPolicy {
            var policy = RedirectPolicy()
            policy.isEnabled = false
            return policy
        }

        /// Follows up to `maximum` redirects.
        public static func follow(maximum: Int = 10, allowsInsecureRedirects: Bool = false) -> RedirectPolicy {
            var policy = RedirectPolicy()
            policy.maximumRedirects = maximum
            policy.allowsInsecureRedirects = allowsInsecureRedirects
            return policy
        }
    }
}

extension HTTPClientResponse {
    /// One redirect followed on the way to a response.
    public struct Redirect: Sendable, Hashable {
        /// The status of the redirect response (301, 302, 303, 307, 308).
        public var status: HTTPResponse.Status
        /// The URL that answered with the redirect.
        public var from: String
        /// The URL the client went to next (the `Location`, resolved).
        public var to: String
        /// The method used for the next hop.
        public var method: HTTPRequest.Method
    }
}
