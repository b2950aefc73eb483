import CourierHTTP1
import CourierHTTP2
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The fields of a connection's last response, by position. A server sends the same names in the same order
/// response after response, and most values too (`Server`, `Content-Type`, `Connection`, often `Date` within
/// a second): a line whose bytes repeat gives the field built from them last time, without a string made, a
/// name validated or a value checked; a name that repeats with a new value is reused alone; and a head whose
/// every line repeats gets the previous head's `HTTPFields` itself, shared until someone changes it.
///
/// The comparisons are against a copy of the lines' received bytes, so a repeated line costs a length test
/// and a `memcmp`, never a look into an `HTTPField`.
struct ResponseFieldCache {
    /// A cached line: where its bytes are in `bytes` (its name at `start`, its value right after) and the
    /// field it gave (nil: skipped, its name not a token).
    private struct Line {
        var start: Int
        var nameLength: Int
        var valueLength: Int
        var field: HTTPField?
    }

    /// The received lines of the last head, up to `capacity`.
    private var lines: [Line] = []
    private var bytes: [UInt8] = []
    /// The last head's `HTTPFields`, when every one of its lines is cached.
    private var lastComplete: HTTPFields?
    /// The buffer the next head's bytes are copied into (swapped with `bytes`, so neither is reallocated).
    private var spareBytes: [UInt8] = []

    /// Positions kept: heads longer than this build the fields past it every time.
    static let capacity = 32

    /// The `HTTPFields` of a received head's field lines (lines whose name is not a token are skipped).
    mutating func fields(of received: some ReceivedFieldLines) -> HTTPFields {
        let count = received.lineCount
        if let lastComplete, count == lines.count,
           (0..<count).allSatisfy({ index in received.withLine(index) { repeats(index, $0, $1) } }) {
            return lastComplete
        }
        var result = HTTPFields()
        result.reserveCapacity(count)
        spareBytes.removeAll(keepingCapacity: true)
        for index in 0..<count {
            let built = received.withLine(index) { name, value in
                let built = field(at: index, name: name, value: value)
                if index < Self.capacity { keep(built, at: index, name: name, value: value) }
                return built
            }
            if let built { result.append(built) }
        }
        let kept = min(count, Self.capacity)
        if lines.count > kept { lines.removeLast(lines.count - kept) }
        swap(&bytes, &spareBytes)
        lastComplete = count <= Self.capacity ? result : nil
        return result
    }

    /// The field for the `index`-th line (nil when its name is not a token), from the cache where it repeats.
    private func field(at index: Int, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> HTTPField? {
        if index < lines.count, sameName(lines[index], name) {
            if sameValue(lines[index], value) { return lines[index].field }
            guard let cached = lines[index].field else { return nil }
            return HTTPField(name: cached.name, value: String(decoding: value, as: UTF8.self))
        }
        guard let fieldName = HTTPField.Name(String(decoding: name, as: UTF8.self)) else { return nil }
        return HTTPField(name: fieldName, value: String(decoding: value, as: UTF8.self))
    }

    /// Records the `index`-th line and its field for the next head (its bytes go to `spareBytes`; the
    /// comparisons for later lines still read `bytes`).
    private mutating func keep(_ field: HTTPField?, at index: Int, name: UnsafeRawBufferPointer,
                               value: UnsafeRawBufferPointer) {
        let line = Line(start: spareBytes.count, nameLength: name.count, valueLength: value.count, field: field)
        spareBytes.append(contentsOf: name)
        spareBytes.append(contentsOf: value)
        if index < lines.count { lines[index] = line } else { lines.append(line) }
    }

    private func repeats(_ index: Int, _ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Bool {
        sameValue(lines[index], value) && sameName(lines[index], name)
    }

    private func sameName(_ line: Line, _ received: UnsafeRawBufferPointer) -> Bool {
        same(received, at: line.start, length: line.nameLength)
    }

    private func sameValue(_ line: Line, _ received: UnsafeRawBufferPointer) -> Bool {
        same(received, at: line.start + line.nameLength, length: line.valueLength)
    }

    /// Whether the `length` cached bytes at `offset` are exactly `received`.
    private func same(_ received: UnsafeRawBufferPointer, at offset: Int, length: Int) -> Bool {
        guard length == received.count else { return false }
        guard length > 0, let other = received.baseAddress else { return true }
        return bytes.withUnsafeBytes { memcmp($0.baseAddress! + offset, other, length) == 0 }
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
