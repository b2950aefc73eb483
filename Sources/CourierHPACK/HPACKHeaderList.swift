#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CourierCore

/// A header list: what the decoder produces from one header block and what the encoder consumes.
///
/// All names and values live in one contiguous `ByteBuffer` (each name immediately followed by its
/// value), with a small fixed-size record per field, so decoding or building a list allocates
/// nothing per field and a list can be reused block after block (`removeAll(keepingCapacity:)`).
/// Fields are reached as `Field` values that expose the bytes without copying, plus `String`
/// conveniences. Names and values are raw octets: nothing is lowercased or validated here (see
/// `HeaderFieldValidation` for the HTTP/2 checks).
public struct HPACKHeaderList: Sendable {
    /// Where one field's bytes are in `storage`: name at `start`, value right after it.
    @usableFromInline
    struct Record: Sendable {
        @usableFromInline var start: UInt32
        @usableFromInline var nameLength: UInt32
        @usableFromInline var valueLength: UInt32
        @usableFromInline var indexing: HPACKIndexing

        @inlinable
        init(start: UInt32, nameLength: UInt32, valueLength: UInt32, indexing: HPACKIndexing) {
            self.start = start
            self.nameLength = nameLength
            self.valueLength = valueLength
            self.indexing = indexing
        }
    }

    /// The names and values, back to back, from index 0.
    @usableFromInline var storage: ByteBuffer
    @usableFromInline var records: [Record]
    /// Sum of name + value + 32 over the fields (RFC 9113 §6.5.2), the figure that
    /// SETTINGS_MAX_HEADER_LIST_SIZE limits.
    public var headerListSize: Int { _headerListSize }
    @usableFromInline var _headerListSize: Int

    /// Creates an empty list.
    public init() {
        self.init(byteCapacity: 512, fieldCapacity: 16)
    }

    /// Creates an empty list with room for `byteCapacity` octets of names and values and
    /// `fieldCapacity` fields.
    public init(byteCapacity: Int, fieldCapacity: Int = 16) {
        storage = ByteBuffer(capacity: byteCapacity)
        records = []
        records.reserveCapacity(fieldCapacity)
        _headerListSize = 0
    }

    /// Creates a list holding `fields`, in order.
    public init(_ fields: some Sequence<HPACKHeaderField>) {
        self.init(byteCapacity: 512)
        for field in fields { append(field) }
    }

    /// The bytes of all names and values, back to back, in field order. A field's bytes start at
    /// `Field.offset` in this buffer.
    @inlinable public var bytes: ByteBuffer { storage }

    /// Appends a field from raw bytes (one copy into the list's storage, no allocation per field).
    @inlinable
    public mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                                indexing: HPACKIndexing = .indexable) {
        let start = storage.writerIndex
        precondition(start + name.count + value.count <= Int(UInt32.max), "header list larger than 4 GiB")
        storage.writeBytes(name)
        storage.writeBytes(value)
        records.append(Record(start: UInt32(start), nameLength: UInt32(name.count),
                              valueLength: UInt32(value.count), indexing: indexing))
        _headerListSize += name.count + value.count + 32
    }

    /// Appends a field from strings, copying their UTF-8 bytes.
    @inlinable
    public mutating func append(name: String, value: String, indexing: HPACKIndexing = .indexable) {
        var name = name
        var value = value
        name.withUTF8 { name in
            value.withUTF8 { value in
                append(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value), indexing: indexing)
            }
        }
    }

    /// Appends a field.
    @inlinable
    public mutating func append(_ field: HPACKHeaderField) {
        append(name: field.name, value: field.value, indexing: field.indexing)
    }

    /// Removes every field, keeping the allocated capacity by default so the list can be refilled
    /// without allocating.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        if keepingCapacity {
            storage.clear()
            records.clearKeepingCapacity()
        } else {
            storage = ByteBuffer(capacity: 64)
            records = []
        }
        _headerListSize = 0
    }

    /// The value of the first field named `name` (compared byte for byte), or nil.
    public func firstValue(for name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted in
            storage.withUnsafeReadableBytes { bytes in
                for record in records where Int(record.nameLength) == wanted.count {
                    let start = Int(record.start)
                    if wanted.isEmpty || memcmp(bytes.baseAddress! + start, wanted.baseAddress!, wanted.count) == 0 {
                        let value = UnsafeRawBufferPointer(rebasing: bytes[(start + wanted.count)...]
                            .prefix(Int(record.valueLength)))
                        return String(decoding: value, as: UTF8.self)
                    }
                }
                return nil
            }
        }
    }

    /// The fields as owned strings (allocates; for tests and diagnostics).
    public var fields: [HPACKHeaderField] { map { $0.field } }
}

extension HPACKHeaderList: RandomAccessCollection {
    public typealias Index = Int

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { records.count }

    /// The field at `position`, viewing the list's storage.
    @inlinable
    public subscript(position: Int) -> Field { Field(storage: storage, record: records[position]) }

    /// Where the field at `position` lies in `bytes`, without making a `Field`: a `Field` holds the storage,
    /// and retaining and releasing it cost more than checks that only need the place.
    @inlinable
    package func place(of position: Int) -> (offset: Int, nameLength: Int, valueLength: Int) {
        let record = records[position]
        return (Int(record.start), Int(record.nameLength), Int(record.valueLength))
    }

    /// One field of a list: byte views of its name and value (no copy), its indexing kind, and
    /// `String` conveniences.
    public struct Field: Sendable, Equatable, CustomStringConvertible {
        @usableFromInline let storage: ByteBuffer
        @usableFromInline let record: Record

        @inlinable
        init(storage: ByteBuffer, record: Record) {
            self.storage = storage
            self.record = record
        }

        /// The name's bytes, sharing the list's storage.
        @inlinable
        public var nameBytes: ByteBufferView {
            storage.getSlice(at: Int(record.start), length: Int(record.nameLength))!.readableBytesView
        }

        /// The value's bytes, sharing the list's storage.
        @inlinable
        public var valueBytes: ByteBufferView {
            storage.getSlice(at: Int(record.start + record.nameLength), length: Int(record.valueLength))!
                .readableBytesView
        }

        /// The name decoded as UTF-8 (invalid sequences repaired).
        public var name: String { storage.getString(at: Int(record.start), length: Int(record.nameLength))! }

        /// The value decoded as UTF-8 (invalid sequences repaired).
        public var value: String {
            storage.getString(at: Int(record.start + record.nameLength), length: Int(record.valueLength))!
        }

        /// How the field was represented (decoded lists) or may be indexed (lists to encode).
        @inlinable public var indexing: HPACKIndexing { record.indexing }

        /// Where the name starts in the list's `bytes`; the value follows it directly.
        @inlinable public var offset: Int { Int(record.start) }
        /// Length of the name in octets.
        @inlinable public var nameLength: Int { Int(record.nameLength) }
        /// Length of the value in octets.
        @inlinable public var valueLength: Int { Int(record.valueLength) }
        /// name + value + 32, the size RFC 7541 §4.1 and RFC 9113 §6.5.2 count.
        @inlinable public var size: Int { Int(record.nameLength) + Int(record.valueLength) + 32 }

        /// Calls `body` with the raw name and value bytes (valid only inside `body`).
        @inlinable
        public func withUnsafeBytes<R>(
            _ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
        ) rethrows -> R {
            try storage.withUnsafeReadableBytes { bytes in
                let name = UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + Int(record.start) },
                                                  count: Int(record.nameLength))
                let value = UnsafeRawBufferPointer(
                    start: bytes.baseAddress.map { $0 + Int(record.start) + Int(record.nameLength) },
                    count: Int(record.valueLength))
                return try body(name, value)
            }
        }

        /// The field as owned strings.
        public var field: HPACKHeaderField { HPACKHeaderField(name: name, value: value, indexing: indexing) }

        /// Same name bytes, value bytes and indexing kind.
        public static func == (lhs: Field, rhs: Field) -> Bool {
            lhs.indexing == rhs.indexing && lhs.withUnsafeBytes { ln, lv in
                rhs.withUnsafeBytes { rn, rv in ln.elementsEqual(rn) && lv.elementsEqual(rv) }
            }
        }

        public var description: String { field.description }
    }
}

extension HPACKHeaderList: Equatable {
    /// Equal when the fields are equal in order (names, values and indexing kinds).
    public static func == (lhs: HPACKHeaderList, rhs: HPACKHeaderList) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0 == $1 }
    }
}

extension HPACKHeaderList: ExpressibleByArrayLiteral {
    /// A list from literal (name, value) pairs, each left to the encoder's indexing policy.
    public init(arrayLiteral elements: (String, String)...) {
        self.init(elements.map { HPACKHeaderField(name: $0.0, value: $0.1) })
    }
}

extension HPACKHeaderList: CustomStringConvertible {
    public var description: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}
