import Courier

/// What a response says about when to send again, read from its header fields:
/// - `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date;
/// - `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers,
///   reset in delta seconds), and the later structured `RateLimit` field (`r=` remaining, `t=` reset;
///   also `remaining=`/`reset=`);
/// - the `X-RateLimit-*` convention, whose reset is delta seconds or, above 10^9, a Unix time (GitHub's).
///
/// Values that do not parse are ignored; a time in the past is a zero delay.
public struct ServerBackoffHints: Sendable, Hashable {
    /// `Retry-After`, as a delay from now.
    public var retryAfter: Duration?
    /// When the current rate-limit window resets, as a delay from now.
    public var reset: Duration?
    /// Requests left in the current window.
    public var remaining: Int?
    /// Requests allowed per window.
    public var limit: Int?

    /// No hints.
    public init(retryAfter: Duration? = nil, reset: Duration? = nil, remaining: Int? = nil, limit: Int? = nil) {
        self.retryAfter = retryAfter
        self.reset = reset
        self.remaining = remaining
        self.limit = limit
    }

    /// Reads the hints in `fields`; `unixTime` is the current wall-clock time (seconds since 1970) for
    /// HTTP-dates and Unix-time resets.
    public init(fields: HTTPFields, unixTime: Double) {
        self.init()
        for field in fields {
            switch field.name.canonicalName {
            case "retry-after":
                if retryAfter == nil { retryAfter = Self.retryAfter(field.value[...], unixTime: unixTime) }
            case "ratelimit-reset", "x-ratelimit-reset":
                if reset == nil { reset = Self.reset(field.value[...], unixTime: unixTime) }
            case "ratelimit-remaining", "x-ratelimit-remaining":
                if remaining == nil { remaining = Self.count(field.value[...]) }
            case "ratelimit-limit", "x-ratelimit-limit":
                if limit == nil { limit = Self.count(field.value[...]) }
            case "ratelimit":
                let (fieldRemaining, fieldReset) = Self.structured(field.value[...])
                if remaining == nil { remaining = fieldRemaining }
                if reset == nil, let seconds = fieldReset { reset = .seconds(seconds) }
            default:
                continue
            }
        }
    }

    /// Whether any hint was found.
    public var isEmpty: Bool { retryAfter == nil && reset == nil && remaining == nil && limit == nil }

    /// The delay the server asks for before the next request: `Retry-After`, else the rate-limit reset
    /// when the response is a 429 or says nothing remains. Nil when the server expressed no wish.
    public func requestedDelay(status: HTTPResponse.Status) -> Duration? {
        if let retryAfter { return retryAfter }
        if let reset, status.code == 429 || remaining == 0 { return reset }
        return nil
    }

    // MARK: - Parsing

    /// Whether any field name in `fields` may carry a hint (a cheap test before parsing).
    static func mayContainHints(_ fields: HTTPFields) -> Bool {
        for field in fields {
            let name = field.name.canonicalName
            if name == "retry-after" || name.hasPrefix("ratelimit") || name.hasPrefix("x-ratelimit") { return true }
        }
        return false
    }

    static func retryAfter(_ value: Substring, unixTime: Double) -> Duration? {
        let text = trimmed(value)
        if let seconds = count(text) { return .seconds(seconds) }
        guard let date = HTTPDate.unixTime(text, now: unixTime) else { return nil }
        return .clampedNanoseconds((Double(date) - unixTime) * 1e9)
    }

    static func reset(_ value: Substring, unixTime: Double) -> Duration? {
        guard let seconds = count(trimmed(value)) else { return nil }
        if seconds > 1_000_000_000 {
            return .clampedNanoseconds((Double(seconds) - unixTime) * 1e9)
        }
        return .seconds(seconds)
    }

    /// A non-negative decimal integer (at most 18 digits), or nil.
    static func count(_ value: Substring) -> Int? {
        let text = trimmed(value)
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// `r=`/`remaining=` and `t=`/`reset=` parameters of a `RateLimit` field, in either draft's syntax.
    static func structured(_ value: Substring) -> (remaining: Int?, reset: Int?) {
        var remaining: Int?
        var reset: Int?
        for part in value.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = trimmed(pair[0]).lowercased()
            guard let number = count(pair[1]) else { continue }
            switch key {
            case "r", "remaining": if remaining == nil { remaining = number }
            case "t", "reset": if reset == nil { reset = number }
            default: continue
            }
        }
        return (remaining, reset)
    }

    private static func trimmed(_ value: Substring) -> Substring {
        var text = value
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
