/// One header field as owned strings, for building header lists conveniently (tests, tools, callers
/// that already hold `String`s). The hot paths use `HPACKHeaderList`, which stores bytes.
public struct HPACKHeaderField: Hashable, Sendable, CustomStringConvertible {
    /// The field name. HTTP/2 requires lowercase names; the codec does not check or change them.
    public var name: String
    /// The field value.
    public var value: String
    /// How the field may use the dynamic table.
    public var indexing: HPACKIndexing

    /// Creates a field; `indexing` defaults to letting the encoder decide.
    public init(name: String, value: String, indexing: HPACKIndexing = .indexable) {
        self.name = name
        self.value = value
        self.indexing = indexing
    }

    /// The field's size as RFC 7541 §4.1 and RFC 9113 §6.5.2 count it: name + value + 32 octets.
    public var size: Int { name.utf8.count + value.utf8.count + 32 }

    public var description: String {
        let marker = switch indexing {
        case .indexable: ""
        case .withoutIndexing: " (without indexing)"
        case .neverIndexed: " (never indexed)"
        }
        return "\(name): \(value)\(marker)"
    }
}
