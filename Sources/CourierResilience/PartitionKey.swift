import Courier

/// Which requests share a circuit breaker, a rate limiter's bucket or a retry budget: requests to the same
/// origin (the default), all requests, or groups the caller names (per tenant, per endpoint...).
public struct PartitionKey: Sendable {
    enum Kind: Sendable {
        case origin
        case global
        case custom(@Sendable (HTTPClientRequest) -> String)
    }

    let kind: Kind

    /// One state per origin: scheme and authority (`https://api.example:8443`), as written in the request.
    public static let origin = PartitionKey(kind: .origin)
    /// One state for every request.
    public static let global = PartitionKey(kind: .global)

    /// One state per name that `name(request)` returns.
    public static func custom(_ name: @escaping @Sendable (HTTPClientRequest) -> String) -> PartitionKey {
        PartitionKey(kind: .custom(name))
    }

    /// The key of `request`, reusing `originKey` (computed once for several stores) for origin keys.
    func key(for request: HTTPClientRequest, originKey: ResilienceKey) -> ResilienceKey {
        if case .origin = kind { return originKey }
        return key(for: request)
    }

    /// Whether keys are origins.
    var isOrigin: Bool {
        if case .origin = kind { return true }
        return false
    }

    /// The key of `request`.
    public func key(for request: HTTPClientRequest) -> ResilienceKey {
        switch kind {
        case .origin: ResilienceKey(scheme: request.head.scheme, authority: request.head.authority, name: nil)
        case .global: ResilienceKey(scheme: nil, authority: nil, name: nil)
        case .custom(let name): ResilienceKey(scheme: nil, authority: nil, name: name(request))
        }
    }
}

/// The key a request's per-key state is filed under (see `PartitionKey`). Its hash is computed once, when
/// it is made, so the stores of several middleware can look it up cheaply.
public struct ResilienceKey: Hashable, Sendable, CustomStringConvertible {
    let scheme: String?
    let authority: String?
    let name: String?
    private let hash: Int

    init(scheme: String?, authority: String?, name: String?) {
        self.scheme = scheme
        self.authority = authority
        self.name = name
        // The process-seeded hasher, not a fixed function: keys come from URLs a scraper may not choose, and
        // colliding keys must not be craftable.
        var hasher = Hasher()
        hasher.combine(scheme)
        hasher.combine(authority)
        hasher.combine(name)
        hash = hasher.finalize()
    }

    public static func == (lhs: ResilienceKey, rhs: ResilienceKey) -> Bool {
        lhs.hash == rhs.hash && lhs.authority == rhs.authority && lhs.scheme == rhs.scheme && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// A key with a caller's name (as `PartitionKey.custom` makes).
    public init(_ name: String) { self.init(scheme: nil, authority: nil, name: name) }

    /// The key of an origin.
    public init(scheme: String, authority: String) { self.init(scheme: scheme, authority: authority, name: nil) }

    /// The key shared by all requests (`PartitionKey.global`).
    public static let global = ResilienceKey(scheme: nil, authority: nil, name: nil)

    /// `scheme://authority`, the caller's name, or `*` for the global key.
    public var description: String {
        if let name { return name }
        if scheme == nil && authority == nil { return "*" }
        return "\(scheme ?? "")://\(authority ?? "")"
    }
}
