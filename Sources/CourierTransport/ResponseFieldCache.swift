import CourierHTTP1
import CourierHTTP2
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The fields of a connection's last response, by position. A server sends the same names in the same order
/// response after response, and most values too (`Server`, `Content-Type`, `Connection`, often `Date` within
/// a second): a field whose bytes repeat is reused as it is, without a string made, a name validated or a
/// value checked; a name that repeats with a new value is reused alone; and a head whose every field repeats
/// gets the previous head's `HTTPFields` itself, shared until someone changes it.
struct ResponseFieldCache {
    private var cached: [HTTPField] = []
    /// The fields last built from exactly `cached` (every line valid, none past `capacity`), or nil.
    private var lastComplete: HTTPFields?

    /// Positions kept: heads longer than this build the fields past it every time.
    static let capacity = 32

    /// The `HTTPFields` of a received head's field lines (lines whose name is not a token are skipped).
    mutating func fields(of lines: some ReceivedFieldLines) -> HTTPFields {
        let count = lines.lineCount
        if let lastComplete, count == cached.count,
           (0..<count).allSatisfy({ index in lines.withLine(index) { Self.matches(cached[index], $0, $1) } }) {
            return lastComplete
        }
        var result = HTTPFields()
        result.reserveCapacity(count)
        var complete = count <= Self.capacity
        for index in 0..<count {
            if let field = lines.withLine(index, { field(at: index, name: $0, value: $1) }) {
                result.append(field)
            } else {
                complete = false
            }
        }
        if cached.count > count { cached.removeLast(cached.count - count) }
        lastComplete = complete ? result : nil
        return result
    }

    /// The field for the `index`-th received field line, its name and value given as bytes; nil when the
    /// name is not a valid token (the line is skipped).
    mutating func field(at index: Int, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> HTTPField? {
        var reusableName: HTTPField.Name?
        if index < cached.count {
            let candidate = cached[index]
            if Self.same(candidate.name.rawName, name) {
                if Self.same(candidate, value) { return candidate }
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

    private static func matches(_ field: HTTPField, _ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool {
        same(field, value) && same(field.name.rawName, name)
    }

    /// Whether `field`'s value is exactly `bytes`.
    private static func same(_ field: HTTPField, _ bytes: UnsafeRawBufferPointer) -> Bool {
        field.withUnsafeBytesOfValue { same(UnsafeRawBufferPointer($0), bytes) }
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

/// Received field lines as bytes, what `ResponseFieldCache` builds `HTTPFields` from.
protocol ReceivedFieldLines {
    var lineCount: Int { get }
    /// Calls `body` with the `index`-th line's name and value bytes (valid only inside `body`).
    func withLine<R>(_ index: Int, _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> R) -> R
}

extension HTTP1Fields: ReceivedFieldLines {
    var lineCount: Int { count }

    func withLine<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        self[index].withUnsafeBytes(body)
    }
}

extension HTTP2HeaderFields: ReceivedFieldLines {
    var lineCount: Int { count }

    func withLine<R>(_ index: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
        self[startIndex + index].withUnsafeBytes(body)
    }
}
