import HTTPTypes

/// The field names of a connection's last response, by position. A server sends the same names in the same
/// order response after response; reusing a name already validated and lowercased makes building a
/// response's `HTTPFields` a string comparison per field.
struct FieldNameCache {
    private var names: [HTTPField.Name] = []

    /// The name for `raw`, the `index`-th field of a response; nil when `raw` is not a valid field name.
    mutating func name(_ raw: String, at index: Int) -> HTTPField.Name? {
        if index < names.count, names[index].rawName == raw { return names[index] }
        guard let name = HTTPField.Name(raw) else { return nil }
        if index < names.count {
            names[index] = name
        } else if index == names.count && index < 32 {
            names.append(name)
        }
        return name
    }

    /// `HTTPFields` from `count` parsed fields (`field(i)` gives the i-th), skipping names that are not
    /// valid tokens.
    mutating func fields(count: Int, _ field: (Int) -> (name: String, value: String)) -> HTTPFields {
        var result = HTTPFields()
        result.reserveCapacity(count)
        for index in 0..<count {
            let (raw, value) = field(index)
            guard let name = name(raw, at: index) else { continue }
            result.append(HTTPField(name: name, value: value))
        }
        return result
    }
}
