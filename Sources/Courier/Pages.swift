/// A paginated API walked lazily as an `AsyncSequence` of pages: each page is fetched only when the consumer
/// asks for it, read by the caller's `read` (which consumes the body), and the next request is derived from
/// it — from the `Link: <…>; rel="next"` field, from a cursor in the page, or by the caller's rule. Memory
/// holds one page at a time whatever the total. Cancelling the consuming task cancels the page in flight.
public struct Pages<Page: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Page

    let client: HTTPClient
    let first: HTTPClientRequest
    let maximumPages: Int?
    let read: @Sendable (HTTPClientResponse) async throws -> Page
    let next: NextPage<Page>

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(client: client, pending: first, remaining: maximumPages, read: read, next: next)
    }

    /// Fetches one page per `next()`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let client: HTTPClient
        var pending: HTTPClientRequest?
        var remaining: Int?
        let read: @Sendable (HTTPClientResponse) async throws -> Page
        let next: NextPage<Page>

        /// The next page, or nil after the last (no next request, or `maximumPages` reached).
        public mutating func next() async throws -> Page? {
            guard let request = pending, remaining.map({ $0 > 0 }) ?? true else { return nil }
            pending = nil
            remaining = remaining.map { $0 - 1 }
            let response = try await client.execute(request)
            let page = try await read(response)
            if let following = try next.rule(NextPage.Context(page: page, response: response.head, request: request.head)) {
                if URLReference(following) == URLReference(request.head) {
                    throw HTTPClientError(.protocolViolation, "the next page is the same URL as this one: \(request.head.path ?? "")")
                }
                var nextRequest = request
                nextRequest.head = following
                nextRequest.body = nil
                pending = nextRequest
            }
            return page
        }
    }
}

/// How the request for the next page is found.
public struct NextPage<Page: Sendable>: Sendable {
    /// What a rule sees: the page just read, its response head and the request that fetched it.
    public struct Context: Sendable {
        /// The page.
        public var page: Page
        /// Its response head (fields such as `Link`).
        public var response: HTTPResponse
        /// The request that fetched it.
        public var request: HTTPRequest
    }

    let rule: @Sendable (Context) throws -> HTTPRequest?

    /// A custom rule: the next request, or nil after the last page.
    public static func custom(_ rule: @escaping @Sendable (Context) throws -> HTTPRequest?) -> NextPage {
        NextPage(rule: rule)
    }

    /// The target of the `Link` whose relation is `next` (resolved against the page's URL), same method
    /// and fields; the end when there is none.
    public static var linkHeader: NextPage {
        NextPage { context in
            guard let link = WebLink.links(in: context.response.headerFields).first(where: { $0.relations.contains("next") }),
                  let base = URLReference(context.request),
                  let target = URLReference.resolve(link.target, against: base) else { return nil }
            var next = context.request
            next.scheme = target.scheme
            if target.authority != base.authority {
                // Another origin: credentials stay home (as with redirects).
                for name in RedirectFollower.credentialFields { next.headerFields[name] = nil }
            }
            next.authority = target.authority
            next.path = target.pathAndQuery
            return next
        }
    }

    /// The cursor `extract` finds in the page, set as the query parameter `parameter` of the first request
    /// (replacing an earlier value); the end when it finds none (or an empty one).
    public static func cursor(parameter: String, _ extract: @escaping @Sendable (Page) -> String?) -> NextPage {
        NextPage { context in
            guard let cursor = extract(context.page), !cursor.isEmpty else { return nil }
            var next = context.request
            next.path = QueryString.setting(parameter, to: cursor, in: context.request.path ?? "/")
            return next
        }
    }
}

extension HTTPClient {
    /// The pages of a paginated API, starting with `request`, fetched lazily as the sequence is iterated.
    /// `read` turns each response into a page (and must read its body); `next` finds the following request
    /// (by default the `Link: rel="next"` field). At most `maximumPages` are fetched (nil: no limit).
    public func pages<Page: Sendable>(
        startingAt request: HTTPClientRequest, next: NextPage<Page> = .linkHeader, maximumPages: Int? = nil,
        read: @escaping @Sendable (HTTPClientResponse) async throws -> Page
    ) -> Pages<Page> {
        Pages(client: self, first: request, maximumPages: maximumPages, read: read, next: next)
    }

    /// The pages of a paginated API starting at `url` (GET).
    public func pages<Page: Sendable>(
        startingAt url: String, headerFields: HTTPFields = HTTPFields(), next: NextPage<Page> = .linkHeader,
        maximumPages: Int? = nil, read: @escaping @Sendable (HTTPClientResponse) async throws -> Page
    ) throws(HTTPClientError) -> Pages<Page> {
        pages(startingAt: HTTPClientRequest(head: try Self.request(.get, url, headerFields: headerFields)), next: next,
              maximumPages: maximumPages, read: read)
    }
}
