import CourierCore

/// The field lines of a received head or trailer section: the received bytes, kept once, plus the
/// offsets of each name and value inside them.
///
/// Nothing is copied or decoded while parsing: `storage` shares the parser's input buffer, and a
/// field becomes a `String` only when asked for. Order and duplicates are kept exactly as received;
/// values have their surrounding whitespace removed (RFC 9112 §5). Look-ups ignore ASCII case in names.
public struct HTTP1Fields: RandomAccessCollection, Sendable {
    /// Where one field line's name and value lie in `storage` (offsets from the start of `storage`).
    @usableFromInline
    struct Entry: Hashable, Sendable {
        @usableFromInline var nameStart: UInt32
        @usableFromInline var nameEnd: UInt32
        @usableFromInline var valueStart: UInt32
        @usableFromInline var valueEnd: UInt32
    }

    /// The bytes the offsets point into (for a head, the whole head including its start line).
    @usableFromInline let storage: ByteBuffer
    @usableFromInline let entries: [Entry]

    /// No fields.
    public init() {
        storage = ByteBuffer(capacity: 0)
        entries = []
    }

    init(storage: ByteBuffer, entries: [Entry]) {
        self.storage = storage
        self.entries = entries
    }

    /// One field line: views of its name and value bytes, and `String` accessors.
    public struct Field: Sendable, CustomStringConvertible {
        @usableFromInline let storage: ByteBuffer
        @usableFromInline let entry: Entry

        /// The name's bytes, as received (case preserved).
        public var nameBytes: ByteBufferView {
            storage.getSlice(at: Int(entry.nameStart), length: Int(entry.nameEnd &- entry.nameStart))!.readableBytesView
        }

        /// The value's bytes, without surrounding whitespace.
        public var valueBytes: ByteBufferView {
            storage.getSlice(at: Int(entry.valueStart), length: Int(entry.valueEnd &- entry.valueStart))!
                .readableBytesView
        }

        /// Calls `body` with the name and value bytes as received (valid only inside `body`), for consumers
        /// that compare or copy them without making strings.
        @inlinable
        public func withUnsafeBytes<R>(
            _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
        ) rethrows -> R {
            try storage.withUnsafeReadableBytes { bytes in
                try body(UnsafeRawBufferPointer(rebasing: bytes[Int(entry.nameStart)..<Int(entry.nameEnd)]),
                         UnsafeRawBufferPointer(rebasing: bytes[Int(entry.valueStart)..<Int(entry.valueEnd)]))
            }
        }

        /// The name as a string (field names are ASCII tokens).
        public var name: String {
            storage.getString(at: Int(entry.nameStart), length: Int(entry.nameEnd &- entry.nameStart))!
        }

        /// The value decoded as UTF-8 (invalid sequences, e.g. Latin-1 obs-text, are repaired).
        public var value: String {
            storage.getString(at: Int(entry.valueStart), length: Int(entry.valueEnd &- entry.valueStart))!
        }

        /// Whether this field's name equals `name`, ignoring ASCII case.
        public func hasName(_ name: String) -> Bool {
            storage.withUnsafeReadableBytes { raw in
                HTTP1Fields.nameMatches(raw, entry, name)
            }
        }

        public var description: String { "\(name): \(value)" }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    /// The field at `position`, in received order.
    public subscript(position: Int) -> Field {
        Field(storage: storage, entry: entries[position])
    }

    /// The value of the first field named `name` (ASCII case ignored), or nil.
    public subscript(name: String) -> String? {
        guard let index = firstIndex(named: name) else { return nil }
        return self[index].value
    }

    /// The index of the first field named `name`, ignoring ASCII case.
    public func firstIndex(named name: String) -> Int? {
        storage.withUnsafeReadableBytes { raw in
            entries.firstIndex { HTTP1Fields.nameMatches(raw, $0, name) }
        }
    }

    /// Whether a field named `name` is present, ignoring ASCII case.
    public func contains(_ name: String) -> Bool { firstIndex(named: name) != nil }

    /// The values of every field named `name`, in order (ASCII case ignored).
    public func values(named name: String) -> [String] {
        storage.withUnsafeReadableBytes { raw in
            entries.filter { HTTP1Fields.nameMatches(raw, $0, name) }
        }.map { Field(storage: storage, entry: $0).value }
    }

    /// The fields as (name, value) strings, for handing to other APIs or to a serializer.
    public var pairs: LazyMapSequence<HTTP1Fields, (name: String, value: String)> {
        lazy.map { (name: $0.name, value: $0.value) }
    }

    static func nameMatches(_ raw: UnsafeRawBufferPointer, _ entry: Entry, _ name: String) -> Bool {
        let length = Int(entry.nameEnd &- entry.nameStart)
        guard name.utf8.count == length else { return false }
        var index = Int(entry.nameStart)
        for expected in name.utf8 {
            let received = raw[index]
            if received != expected {
                // ASCII case folding: equal letters differ only in bit 0x20.
                let lower = received | 0x20
                guard lower == expected | 0x20, lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z") else {
                    return false
                }
            }
            index += 1
        }
        return true
    }
}

extension HTTP1Fields: CustomStringConvertible {
    /// The fields one per line, as `name: value`.
    public var description: String { map(\.description).joined(separator: "\n") }
}
