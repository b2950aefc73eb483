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

    /// The captured parameters when `path` (without query) matches, nil otherwise.
    func match(_ path: String) -> [String: String]? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var captured: [String: String] = [:]
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .wildcard:
                captured["*"] = parts[index...].map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
                return captured
            case .literal(let literal):
                guard index < parts.count, parts[index].elementsEqual(literal.utf8) else { return nil }
            case .parameter(let name):
                guard index < parts.count, !parts[index].isEmpty else { return nil }
                captured[name] = TestRequest.percentDecoded(Substring(decoding: parts[index], as: UTF8.self), plusAsSpace: false)
            }
        }
        return parts.count == segments.count ? captured : nil
    }

    var description: String { text }
}
