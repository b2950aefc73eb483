import CourierCore

/// Follows the redirects of one request: sends each hop through `send` (the middleware chain and per-hop
/// features), and for a followable redirect builds the next hop by RFC 9110 §15.4's method and body rules,
/// stripping credentials when the origin changes. The redirect's own body is drained (up to a small limit,
/// so the connection can be reused) or dropped.
struct RedirectFollower {
    let policy: HTTPClient.RedirectPolicy
    /// Bodies of redirect responses up to this size are read to their end to keep the connection.
    static let drainLimit = 64 * 1024
    /// The redirect statuses whose `Location` is followed (RFC 9110 §15.4; 300 and 304 are not).
    static func isFollowable(_ status: Int) -> Bool {
        switch status {
        case 301, 302, 303, 307, 308: true
        default: false
        }
    }
    static let credentialFields: [HTTPField.Name] = [.authorization, .cookie, .proxyAuthorization]
    static let contentFields: [HTTPField.Name] = [
        .contentType, .contentLength, .contentEncoding, .contentLanguage, .contentLocation, .transferEncoding,
        .expect, HTTPField.Name("Content-MD5")!, HTTPField.Name("Digest")!,
    ]

    nonisolated(nonsending) func run(_ original: consuming HTTPClientRequest,
             send: nonisolated(nonsending) (HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse)
        async throws(HTTPClientError) -> HTTPClientResponse {
        let timeout = original.timeout
        var request = consume original
        var redirects: [HTTPClientResponse.Redirect] = []
        var visited: Set<String> = []
        var cookieEpoch = 0
        let start = timeout.map { _ in SystemClock.now() }
        while true {
            let response = try await send(request)
            guard Self.isFollowable(response.status.code),
                  let location = response.headerFields[.location], !location.isEmpty,
                  let current = URLReference(request.head) else {
                return Self.finish(response, redirects)
            }
            guard let target = URLReference.resolve(location, against: current) else {
                response.body.cancel()
                throw HTTPClientError(.protocolViolation, "the redirect's Location is not a usable URL: \(location)")
            }
            guard target.scheme == "http" || target.scheme == "https" else {
                // Another scheme (an app's callback URL, say): the caller gets the redirect itself.
                return Self.finish(response, redirects)
            }
            if current.scheme == "https" && target.scheme == "http" && !policy.allowsInsecureRedirects {
                response.body.cancel()
                throw HTTPClientError(.insecureRedirect, "refused a redirect from \(current.string) to \(target.string)")
            }
            guard redirects.count < policy.maximumRedirects else {
                response.body.cancel()
                throw HTTPClientError(.tooManyRedirects, "more than \(policy.maximumRedirects) redirects, last to \(target.string)")
            }
            if response.headerFields[.setCookie] != nil { cookieEpoch += 1 }
            var next = request
            Self.rewriteMethodAndBody(&next, status: response.status.code)
            if next.body != nil, next.body?.isReplayable == false {
                response.body.cancel()
                throw HTTPClientError(.bodyNotReplayable,
                                      "a \(response.status.code) redirect needs the request body again, but it was a one-shot stream")
            }
            if !current.isSameOrigin(as: target) && !Self.isSecureUpgrade(from: current, to: target) {
                for name in Self.credentialFields { next.head.headerFields[name] = nil }
            }
            next.head.scheme = target.scheme
            next.head.authority = target.authority
            next.head.path = target.pathAndQuery
            if policy.detectsLoops {
                visited.insert("\(request.head.method.rawValue) \(current.string) \(cookieEpoch)")
                let key = "\(next.head.method.rawValue) \(target.string) \(cookieEpoch)"
                if visited.contains(key) {
                    response.body.cancel()
                    throw HTTPClientError(.redirectLoop, "the redirects loop back to \(target.string)")
                }
            }
            if let start, let timeout {
                let remaining = timeout - (SystemClock.now() - start)
                guard remaining > .zero else {
                    response.body.cancel()
                    throw HTTPClientError(.deadlineExceeded, "the request's timeout passed while following redirects")
                }
                next.timeout = remaining
            }
            let redirect = HTTPClientResponse.Redirect(status: response.status, from: current.string, to: target.string,
                                                       method: next.head.method)
            redirects.append(redirect)
            request.observation?.redirected(redirect)
            await Self.discard(response.body, declaredLength: response.headerFields[.contentLength].flatMap { Int($0) })
            request = next
        }
    }

    /// 303 → GET (HEAD stays), 301/302 POST → GET; the body and the fields describing it go.
    static func rewriteMethodAndBody(_ request: inout HTTPClientRequest, status: Int) {
        let method = request.head.method
        let toGET = (status == 303 && method != .get && method != .head) || ((status == 301 || status == 302) && method == .post)
        guard toGET else { return }
        request.head.method = .get
        request.body = nil
        for name in contentFields { request.head.headerFields[name] = nil }
    }

    /// http → https on the same host with default ports: the same site, made safer, so credentials stay.
    static func isSecureUpgrade(from current: URLReference, to target: URLReference) -> Bool {
        guard current.scheme == "http", target.scheme == "https",
              let from = current.originKey, let to = target.originKey else { return false }
        return from.host == to.host && from.port == 80 && to.port == 443
    }

    static func finish(_ response: HTTPClientResponse, _ redirects: [HTTPClientResponse.Redirect]) -> HTTPClientResponse {
        guard !redirects.isEmpty else { return response }
        var response = response
        response.redirects = redirects
        return response
    }

    /// Reads a small redirect body to its end (keeping an HTTP/1.1 connection reusable) or cancels a big one.
    static func discard(_ body: HTTPClientResponse.Body, declaredLength: Int?) async {
        if let declaredLength, declaredLength > drainLimit {
            body.cancel()
            return
        }
        var total = 0
        do {
            for try await chunk in body {
                total += chunk.readableBytes
                if total > drainLimit {
                    body.cancel()
                    return
                }
            }
        } catch {
            body.cancel()
        }
    }
}
