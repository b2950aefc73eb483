import Courier
#if canImport(Glibc)
import Glibc
#endif

/// Turns curl-style request options into a request: the method, the header list (our defaults, replaced or
/// removed by `-H`), and the body from `-d`/`--data-binary`/`--data-raw` (strings, `@file`, `@-`).
struct RequestBuilder {
    /// The default fields, replaced by a `-H` of the same name and removed by `-H "Name:"`.
    static let defaultFields: [(String, String)] = [("User-Agent", "courier/\(CourierCommand.version)"), ("Accept", "*/*")]

    /// Fields the client derives from the URL and the body; `-H` cannot set them.
    private static let derivedFields: [String: String] = [
        "host": "the Host field comes from the URL's authority",
        "content-length": "the body's framing comes from the data given",
        "transfer-encoding": "the body's framing comes from the data given",
    ]

    /// One piece of request data, as given on the command line.
    enum Data {
        /// `-d`/`--data-binary`: a string, or `@path` / `@-` (standard input), sent unchanged.
        case interpreted(String)
        /// `--data-raw`: the string itself, `@` included.
        case raw(String)
    }

    /// The request head for `url` with the method and fields given.
    static func head(url: String, method: String?, headers: [String], userAgent: String?,
                     hasBody: Bool, headOnly: Bool) throws(UsageError) -> HTTPRequest {
        let methodName = method ?? (headOnly ? "HEAD" : hasBody ? "POST" : "GET")
        guard let parsedMethod = HTTPRequest.Method(methodName) else {
            throw UsageError("-X: \(methodName) is not a valid method (a token such as GET or PATCH)")
        }
        var fields = HTTPFields()
        var defaults = defaultFields
        if let userAgent { defaults[0].1 = userAgent }
        var overridden = Set<String>()
        var additions: [(HTTPField.Name, String)] = []
        for header in headers {
            let (name, value, remove) = try parseHeader(header)
            let key = name.canonicalName
            overridden.insert(key)
            if !remove { additions.append((name, value)) }
        }
        for (name, value) in defaults where !overridden.contains(name.lowercased()) {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        for (name, value) in additions { fields.append(HTTPField(name: name, value: value)) }
        if hasBody && !overridden.contains("content-type") {
            fields[.contentType] = "application/x-www-form-urlencoded"
        }
        do {
            return try HTTPClient.request(parsedMethod, url, headerFields: fields)
        } catch {
            throw UsageError("\(error.message)")
        }
    }

    /// `Name: value` (added), `Name:` (removes a default field) or `Name;` (an empty value).
    static func parseHeader(_ text: String) throws(UsageError) -> (HTTPField.Name, String, remove: Bool) {
        let separator = text.firstIndex(where: { $0 == ":" || $0 == ";" })
        guard let separator else { throw UsageError("-H \(text): expected \"Name: value\"") }
        let rawName = String(text[..<separator]).trimmingWhitespace()
        guard let name = HTTPField.Name(rawName), !rawName.hasPrefix(":") else {
            throw UsageError("-H \(text): \"\(rawName)\" is not a valid field name")
        }
        if let reason = derivedFields[name.canonicalName] { throw UsageError("-H \(rawName): \(reason)") }
        let value = String(text[text.index(after: separator)...]).trimmingWhitespace()
        guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw UsageError("-H \(rawName): the value contains CR, LF or NUL")
        }
        if text[separator] == ";" {
            guard value.isEmpty else { throw UsageError("-H \(text): expected \"Name: value\"") }
            return (name, "", false)
        }
        return (name, value, value.isEmpty)
    }

    /// The request body: a file given alone is streamed from disk; anything else is assembled in memory,
    /// pieces joined with `&` as curl does.
    static func body(_ data: [Data]) throws(UsageError) -> HTTPClientRequestBody? {
        guard !data.isEmpty else { return nil }
        if data.count == 1, case .interpreted(let text) = data[0], text.hasPrefix("@"), text != "@-" {
            do {
                return try HTTPClientRequestBody.file(path: String(text.dropFirst()))
            } catch {
                throw UsageError("cannot read the data file \(text.dropFirst()): \(error.message)")
            }
        }
        var bytes = ByteBuffer(capacity: 0)
        for (index, piece) in data.enumerated() {
            if index > 0 { bytes.writeString("&") }
            switch piece {
            case .raw(let text):
                bytes.writeString(text)
            case .interpreted(let text) where text == "@-":
                try readAll(descriptor: 0, name: "standard input", into: &bytes)
            case .interpreted(let text) where text.hasPrefix("@"):
                let path = String(text.dropFirst())
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else {
                    throw UsageError("cannot read the data file \(path): \(String(cString: strerror(errno)))")
                }
                defer { close(descriptor) }
                try readAll(descriptor: descriptor, name: path, into: &bytes)
            case .interpreted(let text):
                bytes.writeString(text)
            }
        }
        return .bytes(bytes)
    }

    private static func readAll(descriptor: Int32, name: String, into bytes: inout ByteBuffer) throws(UsageError) {
        while true {
            var failure: Int32 = 0
            let count = bytes.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { region in
                let result = read(descriptor, region.baseAddress, region.count)
                if result < 0 { failure = errno }
                return max(0, result)
            }
            if failure == EINTR { continue }
            if failure != 0 { throw UsageError("cannot read \(name): \(String(cString: strerror(failure)))") }
            if count == 0 { return }
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }
}
