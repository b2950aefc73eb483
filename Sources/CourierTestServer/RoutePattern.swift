/// A route's path pattern: literal segments, `:name` segments that capture one segment, and an optional
/// trailing `*` that captures the rest (possibly empty). `/bytes/:count` matches `/bytes/10` with
/// `count = 10`; `/files/*` matches `/files/a/b` with `* = a/b`.
struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
        case wildcard
    }

    let segments: [Segment]
    let text: String

    init(_ pattern: String) {
        precondition(pattern.hasPrefix("/"), "a route pattern starts with / (got \(pattern))")
        text = pattern
        let parts = pattern.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var segments: [Segment] = []
        for (index, part) in parts.enumerated() {
            if part == "*" {
                precondition(index == parts.count - 1, "* must be the last segment of a route pattern")
                segments.append(.wildcard)
            } else if part.hasPrefix(":") && part.count > 1 {
                segments.append(.parameter(String(part.dropFirst())))
            } else {
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
    }

    /// A path's segments (after the leading `/`), for `match`; nil when the path does not start with `/`.
    static func segments(of path: String) -> [Substring]? {
        guard path.hasPrefix("/") else { return nil }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }

    /// The captured parameters when the path split into `parts` matches, nil otherwise.
    func match(_ parts: [Substring]?) -> [String: String]? {
        guard let parts else { return nil }
        if parts.count != segments.count && segments.last != .wildcard { return nil }
        var captured: [String: String] = [:]
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .wildcard:
                captured["*"] = parts[index...].joined(separator: "/")
                return captured
            case .literal(let literal):
                guard index < parts.count, parts[index] == literal else { return nil }
            case .parameter(let name):
                guard index < parts.count, !parts[index].isEmpty else { return nil }
                captured[name] = TestRequest.percentDecoded(parts[index], plusAsSpace: false)
            }
        }
        return parts.count == segments.count ? captured : nil
    }

    /// The captured parameters when `path` (without query) matches, nil otherwise.
    func match(_ path: String) -> [String: String]? {
        match(Self.segments(of: path))
    }

    var description: String { text }
}
