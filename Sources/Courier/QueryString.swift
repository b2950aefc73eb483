/// `application/x-www-form-urlencoded` encoding (the WHATWG URL standard's serializer): for form bodies and
/// query strings. Letters, digits and `*-._` stay, spaces become `+`, every other byte is percent-encoded.
public enum QueryString {
    /// `name=value` pairs joined with `&`, each part encoded.
    public static func encode(_ pairs: some Sequence<(String, String)>) -> String {
        pairs.map { encode(component: $0.0) + "=" + encode(component: $0.1) }.joined(separator: "&")
    }

    /// One name or value, encoded.
    public static func encode(component: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.utf8.count)
        for byte in component.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                bytes.append(byte)
            case UInt8(ascii: " "):
                bytes.append(UInt8(ascii: "+"))
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes `name=value&…` (`+` as space, percent-decoding); malformed escapes are kept as they are.
    public static func decode(_ query: String) -> [(String, String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func component(_ text: Substring) -> String {
                let spaced = text.replacing("+", with: " ")
                return PercentDecoding.decode(spaced) ?? String(spaced)
            }
            return (component(parts[0]), parts.count > 1 ? component(parts[1]) : "")
        }
    }

    /// `pathAndQuery` with the query parameter `name` set to `value` (earlier occurrences removed).
    static func setting(_ name: String, to value: String, in pathAndQuery: String) -> String {
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0]
        var kept: [Substring] = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&", omittingEmptySubsequences: true) {
                let key = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
                let decodedKey = PercentDecoding.decode(key.replacing("+", with: " ")) ?? String(key)
                if decodedKey != name { kept.append(pair) }
            }
        }
        kept.append(Substring(encode(component: name) + "=" + encode(component: value)))
        return path + "?" + kept.joined(separator: "&")
    }
}
