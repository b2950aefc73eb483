import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The fields of a connection's last response, by position. A server sends the same names in the same order
/// response after response, and most values too (`Server`, `Content-Type`, `Connection`, often `Date` within
/// a second): a field whose bytes repeat is reused as it is, without a string made, a name validated or a
/// value checked; a name that repeats with a new value is reused alone.
struct ResponseFieldCache {
    private var cached: [HTTPField] = []

    /// Positions kept: heads longer than this build the fields past it every time.
    static let capacity = 32

    /// The field for the `index`-th received field line, its name and value given as bytes; nil when the
    /// name is not a valid token (the line is skipped).
    mutating func field(at index: Int, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> HTTPField? {
        var reusableName: HTTPField.Name?
        if index < cached.count {
            let candidate = cached[index]
            if Self.same(candidate.name.rawName, name) {
                if candidate.withUnsafeBytesOfValue({ Self.same(UnsafeRawBufferPointer($0), value) }) { return candidate }
                reusableName = candidate.name
            }
        }
        guard let fieldName = reusableName ?? HTTPField.Name(String(decoding: name, as: UTF8.self)) else { return nil }
        let field = HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self))
        if index < cached.count {
            cached[index] = field
        } else if index == cached.count && index < Self.capacity {
            cached.append(field)
        }
        return field
    }

    /// Whether `text`'s UTF-8 is exactly `bytes`.
    private static func same(_ text: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var text = text
        return text.withUTF8 { Self.same(UnsafeRawBufferPointer($0), bytes) }
    }

    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return true }
        return memcmp(left, right, a.count) == 0
    }
}
