/// Builds one line of JSON text (the `--summary` and `bench --json` outputs) without Foundation: objects
/// with fields in the order written, strings escaped per RFC 8259.
struct JSONText {
    private(set) var text = ""
    private var needsComma: [Bool] = []

    init() {}

    /// Opens an object (as a field value when `key` is given).
    mutating func beginObject(_ key: String? = nil) {
        prefix(key)
        text += "{"
        needsComma.append(false)
    }

    /// Closes the innermost object.
    mutating func endObject() {
        text += "}"
        needsComma.removeLast()
    }

    /// Opens an array (as a field value when `key` is given).
    mutating func beginArray(_ key: String? = nil) {
        prefix(key)
        text += "["
        needsComma.append(false)
    }

    /// Closes the innermost array.
    mutating func endArray() {
        text += "]"
        needsComma.removeLast()
    }

    /// A string value.
    mutating func string(_ key: String? = nil, _ value: String?) {
        prefix(key)
        if let value { text += Self.quoted(value) } else { text += "null" }
    }

    /// An integer value.
    mutating func integer<Value: BinaryInteger>(_ key: String? = nil, _ value: Value?) {
        prefix(key)
        text += value.map { "\($0)" } ?? "null"
    }

    /// A number rounded to `decimals` places (null when nil or not finite).
    mutating func number(_ key: String? = nil, _ value: Double?, decimals: Int = 3) {
        prefix(key)
        guard let value, value.isFinite else {
            text += "null"
            return
        }
        text += Self.fixed(value, decimals: decimals)
    }

    /// A literal `null`.
    mutating func null(_ key: String? = nil) {
        prefix(key)
        text += "null"
    }

    private mutating func prefix(_ key: String?) {
        if let last = needsComma.indices.last {
            if needsComma[last] { text += "," }
            needsComma[last] = true
        }
        if let key { text += Self.quoted(key) + ":" }
    }

    /// `value` in plain decimal notation with at most `decimals` places (trailing zeros dropped).
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(Int64(value.rounded())) }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        var fraction = String(units % Int64(scale))
        fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// `value` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
