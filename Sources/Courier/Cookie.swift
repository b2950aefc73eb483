/// One cookie as a cookie jar stores it (RFC 6265 §5.3): what the server set, with the domain and path it
/// applies to and when it expires.
public struct Cookie: Sendable, Hashable, CustomStringConvertible {
    /// The name.
    public var name: String
    /// The value (sent back as given, quotes included).
    public var value: String
    /// The domain, lowercased, without a leading dot.
    public var domain: String
    /// Sent only to exactly `domain` (no `Domain` attribute was given), not to its subdomains.
    public var isHostOnly: Bool
    /// The path prefix it applies to.
    public var path: String
    /// When it expires, in seconds since 1970 (nil: a session cookie, kept while the jar lives).
    public var expires: Int64?
    /// Sent only over https (and to loopback hosts, as browsers do).
    public var isSecure: Bool
    /// Not for scripts; recorded (a client has no scripts) and kept in the Netscape file.
    public var isHTTPOnly: Bool
    /// The `SameSite` attribute, stored; a client without browsing contexts has nothing to enforce it against.
    public var sameSite: SameSite?

    /// The `SameSite` attribute's values.
    public enum SameSite: String, Sendable, Hashable {
        /// `SameSite=Strict`.
        case strict = "Strict"
        /// `SameSite=Lax`.
        case lax = "Lax"
        /// `SameSite=None` (named so it cannot be confused with an absent attribute).
        case noRestriction = "None"
    }

    /// Creates a cookie.
    public init(name: String, value: String, domain: String, isHostOnly: Bool = true, path: String = "/",
                expires: Int64? = nil, isSecure: Bool = false, isHTTPOnly: Bool = false, sameSite: SameSite? = nil) {
        self.name = name
        self.value = value
        self.domain = domain.lowercased()
        self.isHostOnly = isHostOnly
        self.path = path
        self.expires = expires
        self.isSecure = isSecure
        self.isHTTPOnly = isHTTPOnly
        self.sameSite = sameSite
    }

    /// Whether it expired at `now` (seconds since 1970).
    public func isExpired(at now: Int64) -> Bool { expires.map { $0 <= now } ?? false }

    public var description: String {
        var text = "\(name)=\(value); Domain=\(isHostOnly ? "" : ".")\(domain); Path=\(path)"
        if let expires { text += "; Expires=\(expires)" }
        if isSecure { text += "; Secure" }
        if isHTTPOnly { text += "; HttpOnly" }
        if let sameSite { text += "; SameSite=\(sameSite.rawValue)" }
        return text
    }
}

/// A `Set-Cookie` value split into its parts (RFC 6265 §5.2), before the jar decides where it applies.
struct SetCookie: Sendable, Hashable {
    var name: String
    var value: String
    var expires: Int64?
    /// Seconds from now; wins over `expires` (≤ 0: already expired).
    var maxAge: Int64?
    var domain: String?
    var path: String?
    var isSecure = false
    var isHTTPOnly = false
    var sameSite: Cookie.SameSite?

    /// Parses a `Set-Cookie` field value; nil when it has no `name=value` pair.
    init?(_ text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
        name = String(pair[..<equals].trimmingSpaces)
        value = String(pair[pair.index(after: equals)...].trimmingSpaces)
        guard !name.isEmpty else { return nil }
        for attribute in parts.dropFirst() {
            let key: Substring, argument: Substring
            if let equals = attribute.firstIndex(of: "=") {
                key = attribute[..<equals].trimmingSpaces
                argument = attribute[attribute.index(after: equals)...].trimmingSpaces
            } else {
                key = attribute.trimmingSpaces
                argument = ""
            }
            switch key.lowercased() {
            case "expires":
                if let date = CookieDate.parse(argument) { expires = date }
            case "max-age":
                if let first = argument.first, first == "-" || first.isASCII && first.isNumber,
                   argument.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
                    maxAge = Int64(argument) ?? (first == "-" ? Int64.min : Int64.max)
                }
            case "domain":
                if !argument.isEmpty {
                    let trimmed = argument.hasPrefix(".") ? argument.dropFirst() : argument
                    domain = trimmed.lowercased()
                }
            case "path":
                path = argument.hasPrefix("/") ? String(argument) : nil
            case "secure":
                isSecure = true
            case "httponly":
                isHTTPOnly = true
            case "samesite":
                switch argument.lowercased() {
                case "strict": sameSite = .strict
                case "lax": sameSite = .lax
                case "none": sameSite = .noRestriction
                default: sameSite = nil
                }
            default:
                continue
            }
        }
    }
}

/// The forgiving cookie date format of RFC 6265 §5.1.1 (what browsers accept in `Expires`).
enum CookieDate {
    /// Seconds since 1970, or nil when the text is not a date by the algorithm.
    static func parse(_ text: some StringProtocol) -> Int64? {
        var time: (Int, Int, Int)?
        var day: Int?
        var month: Int?
        var year: Int?
        for token in text.utf8.split(whereSeparator: isDelimiter) {
            let token = Array(token)
            if time == nil, let parsed = parseTime(token) {
                time = parsed
            } else if day == nil, let value = leadingDigits(token, 1...2) {
                day = value
            } else if month == nil, token.count >= 3, let index = months.firstIndex(of: String(decoding: token.prefix(3), as: UTF8.self).lowercased()) {
                month = index + 1
            } else if year == nil, let value = leadingDigits(token, 2...4) {
                year = value
            }
        }
        guard let (hour, minute, second) = time, let day, let month, var year else { return nil }
        if (70...99).contains(year) { year += 1900 } else if (0...69).contains(year) { year += 2000 }
        guard (1...31).contains(day), year >= 1601, hour <= 23, minute <= 59, second <= 59 else { return nil }
        guard day <= daysIn(month: month, year: year) else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x2F).contains(byte) || (0x3B...0x40).contains(byte) || (0x5B...0x60).contains(byte)
            || (0x7B...0x7E).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// `count` digits (within the range) at the start of the token, followed by anything but a digit.
    private static func leadingDigits(_ token: [UInt8], _ count: ClosedRange<Int>) -> Int? {
        let digits = token.prefix(while: isDigit)
        guard count.contains(digits.count) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// hms-time = 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT, then anything non-digit.
    private static func parseTime(_ token: [UInt8]) -> (Int, Int, Int)? {
        var parts: [Int] = []
        var index = 0
        for position in 0..<3 {
            var value = 0, digits = 0
            while index < token.count, isDigit(token[index]), digits < 3 {
                value = value * 10 + Int(token[index] - 0x30)
                digits += 1
                index += 1
            }
            guard (1...2).contains(digits) else { return nil }
            parts.append(value)
            if position < 2 {
                guard index < token.count, token[index] == UInt8(ascii: ":") else { return nil }
                index += 1
            }
        }
        if index < token.count, isDigit(token[index]) { return nil }
        return (parts[0], parts[1], parts[2])
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}
