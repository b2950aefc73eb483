import CourierCore
import CourierHPACK

/// The regular fields of a decoded field section: a view of a header list past its pseudo-header
/// fields (which RFC 9113 §8.3 puts first). Nothing is copied: the fields stay in the list's
/// storage. Names are lowercase and validated (§8.2.1).
public struct HTTP2HeaderFields: RandomAccessCollection, Sendable, CustomStringConvertible {
    /// The whole decoded list, pseudo-header fields included.
    public let list: HPACKHeaderList
    /// The index in `list` of the first regular field.
    public let startIndex: Int

    /// Wraps `list`, skipping its first `regularFieldsStart` fields.
    public init(list: HPACKHeaderList, regularFieldsStart: Int = 0) {
        precondition(regularFieldsStart >= 0 && regularFieldsStart <= list.count, "start out of range")
        self.list = list
        startIndex = regularFieldsStart
    }

    /// One past the last field.
    public var endIndex: Int { list.count }

    /// The field at `position` (an index of `list`).
    public subscript(position: Int) -> HPACKHeaderList.Field { list[position] }

    /// The value of the first field named `name` (lowercase), or nil.
    public func firstValue(for name: String) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// The values of every field named `name` (lowercase), in order.
    public func values(for name: String) -> [String] {
        compactMap { $0.name == name ? $0.value : nil }
    }

    /// The fields as (name, value) strings (allocates; for tests and diagnostics).
    public var pairs: [(name: String, value: String)] { map { ($0.name, $0.value) } }

    public var description: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}
