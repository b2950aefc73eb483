/// Web links from `Link` fields (RFC 8288), as APIs use them for pagination
/// (`Link: <https://api.example/items?page=2>; rel="next", <…?page=9>; rel="last"`).
public struct WebLink: Sendable, Hashable {
    /// The target as written (possibly relative; resolve it against the request's URL).
    public var target: String
    /// The relation types, lowercased (`rel="next prefetch"` gives two).
    public var relations: [String]
    /// The other parameters, names lowercased, values unquoted.
    public var parameters: [String: String]

    /// Every link in `fields`' `Link` values; malformed links are skipped.
    public static func links(in fields: HTTPFields) -> [WebLink] {
        fields[values: linkField].flatMap(parse)
    }

    static let linkField = HTTPField.Name("Link")!

    /// The links in one `Link` field value.
    public static func parse(_ value: String) -> [WebLink] {
        var links: [WebLink] = []
        var rest = Substring(value)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard rest.first == "<", let close = rest.firstIndex(of: ">") else { break }
            var link = WebLink(target: String(rest[rest.index(after: rest.startIndex)..<close]), relations: [], parameters: [:])
            rest = rest[rest.index(after: close)...]
            // Parameters: ; name[=value], values may be quoted (with \-escapes) and contain commas.
            while true {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                guard rest.first == ";" else { break }
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                let nameEnd = rest.firstIndex { $0 == "=" || $0 == ";" || $0 == "," || $0 == " " } ?? rest.endIndex
                let name = rest[..<nameEnd].lowercased()
                rest = rest[nameEnd...].drop { $0 == " " || $0 == "\t" }
                var parameterValue = ""
                if rest.first == "=" {
                    rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                    if rest.first == "\"" {
                        rest = rest.dropFirst()
                        var escaped = false
                        var index = rest.startIndex
                        while index < rest.endIndex {
                            let character = rest[index]
                            if escaped {
                                parameterValue.append(character)
                                escaped = false
                            } else if character == "\\" {
                                escaped = true
                            } else if character == "\"" {
                                break
                            } else {
                                parameterValue.append(character)
                            }
                            index = rest.index(after: index)
                        }
                        rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[index...]
                    } else {
                        let end = rest.firstIndex { $0 == ";" || $0 == "," } ?? rest.endIndex
                        parameterValue = String(rest[..<end].trimmingSpaces)
                        rest = rest[end...]
                    }
                }
                guard !name.isEmpty else { continue }
                if name == "rel" {
                    // The first rel wins (RFC 8288 §3.3).
                    if link.relations.isEmpty {
                        link.relations = parameterValue.lowercased().split(separator: " ").map(String.init)
                    }
                } else if link.parameters[name] == nil {
                    link.parameters[name] = parameterValue
                }
            }
            links.append(link)
            // Skip anything up to the next link.
            guard let comma = rest.firstIndex(of: ",") else { break }
            rest = rest[comma...]
        }
        return links
    }
}
