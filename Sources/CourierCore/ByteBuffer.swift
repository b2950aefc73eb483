#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable buffer of bytes with separate read and write positions, shared by every layer.
///
/// Bytes before `readerIndex` have been consumed, bytes in `readerIndex..<writerIndex` are readable,
/// and capacity past `writerIndex` is writable. Copies are cheap: storage is shared until one copy
/// writes (copy on write), and `readSlice(length:)` / `getSlice(at:length:)` return views of the same
/// storage without copying bytes. Indices are relative to the start of this buffer (or slice).
public struct ByteBuffer: @unchecked Sendable {
    /// Heap storage. Its pointer and capacity never change (growing allocates a new storage object), so
    /// reading them needs no exclusivity check. Bytes are written only through a `ByteBuffer` that holds the
    /// sole reference (checked with `isKnownUniquelyReferenced` before every write), so no two threads ever
    /// touch the same storage mutably: that is what makes the `@unchecked Sendable` sound.
    @usableFromInline
    final class Storage: ManagedBuffer<StorageHeader, UInt8> {
        /// A buffer of `capacity` bytes, in one allocation with this object (the bytes follow its header).
        @usableFromInline
        static func make(capacity: Int) -> Storage {
            let capacity = max(capacity, 16)
            let buffer = Storage.create(minimumCapacity: capacity) { buffer in
                StorageHeader(capacity: capacity,
                              bytes: UnsafeMutableRawPointer(buffer.withUnsafeMutablePointerToElements { $0 }))
            }
            // `create` returns an instance of the class it is called on.
            return unsafeDowncast(buffer, to: Storage.self)
        }

        /// The bytes (they live as long as this object). Read through the header's pointer: `header` is a
        /// `var` of `ManagedBuffer`, and reading it directly costs a run-time exclusivity check on every
        /// buffer operation.
        @inlinable var bytes: UnsafeMutableRawPointer { withUnsafeMutablePointerToHeader { $0.pointee.bytes } }
        /// How many bytes `bytes` holds.
        @inlinable var byteCapacity: Int { withUnsafeMutablePointerToHeader { $0.pointee.capacity } }

        /// Shared by every buffer created empty (capacity 0), so placeholders cost no allocation. Never
        /// written: a buffer using it has no writable bytes and is never its sole owner, so its first write
        /// takes fresh storage. (`nonisolated(unsafe)`: immutable after creation, see above.)
        @usableFromInline nonisolated(unsafe) static let empty = Storage.make(capacity: 0)
    }

    /// Where a storage's bytes are and how many (fixed at creation).
    @usableFromInline
    struct StorageHeader {
        @usableFromInline let capacity: Int
        @usableFromInline let bytes: UnsafeMutableRawPointer
    }

    @usableFromInline var storage: Storage
    /// Offset of this buffer's index 0 inside `storage` (non-zero for slices).
    @usableFromInline var base: Int
    /// Bytes of `storage` this buffer may use, from `base` (slices end where they were cut).
    @usableFromInline var limit: Int
    @usableFromInline var _readerIndex: Int
    @usableFromInline var _writerIndex: Int
    /// The index of the next byte to read.
    @inlinable public var readerIndex: Int { _readerIndex }
    /// The index where the next write goes.
    @inlinable public var writerIndex: Int { _writerIndex }

    /// Creates an empty buffer with room for at least `capacity` bytes.
    @inlinable
    public init(capacity: Int = 256) {
        if capacity == 0 {
            storage = Storage.empty
            base = 0
            limit = 0
            _readerIndex = 0
            _writerIndex = 0
            return
        }
        storage = Storage.make(capacity: capacity)
        base = 0
        limit = storage.byteCapacity
        _readerIndex = 0
        _writerIndex = 0
    }

    /// Creates a buffer holding a copy of `bytes`.
    @inlinable
    public init<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(capacity: bytes.underestimatedCount)
        writeBytes(bytes)
    }

    /// Creates a buffer holding the UTF-8 bytes of `string`.
    @inlinable
    public init(string: String) {
        self.init(capacity: string.utf8.count)
        writeString(string)
    }

    /// The number of bytes that can be read.
    @inlinable public var readableBytes: Int { writerIndex - readerIndex }
    /// Whether there is nothing left to read.
    @inlinable public var isEmpty: Bool { writerIndex == readerIndex }
    /// The number of bytes that can be written without growing.
    @inlinable public var writableBytes: Int { limit - writerIndex }
    /// The total bytes this buffer can hold without growing.
    @inlinable public var capacity: Int { limit }

    // MARK: - Growing and copy on write

    /// Makes sure at least `minimumWritableBytes` can be written without another allocation.
    @inlinable
    public mutating func reserveCapacity(minimumWritableBytes: Int) {
        precondition(minimumWritableBytes >= 0, "negative capacity")
        ensureUniqueAndWritable(minimumWritableBytes)
    }

    @inlinable
    mutating func ensureUniqueAndWritable(_ count: Int) {
        let unique = isKnownUniquelyReferenced(&storage)
        if _fastPath(unique && writableBytes >= count) { return }
        makeRoom(count, unique: unique)
    }

    @usableFromInline
    mutating func makeRoom(_ count: Int, unique: Bool) {
        let needed = writerIndex + count
        if unique && base == 0 && limit == storage.byteCapacity {
            // Sole owner of whole storage: first try to reclaim consumed space cheaply when most of it is consumed.
            if readerIndex > 0 && readerIndex >= storage.byteCapacity / 2 && needed - readerIndex <= storage.byteCapacity {
                discardReadBytes()
                if writableBytes >= count { return }
            }
            let fresh = Storage.make(capacity: Self.roundedCapacity(writerIndex + count))
            if writerIndex > 0 { fresh.bytes.copyMemory(from: storage.bytes, byteCount: writerIndex) }
            storage = fresh
            limit = fresh.byteCapacity
            return
        }
        // Shared, or a slice: copy the bytes this buffer can see into fresh storage.
        let fresh = Storage.make(capacity: Self.roundedCapacity(needed))
        if writerIndex > 0 { fresh.bytes.copyMemory(from: storage.bytes + base, byteCount: writerIndex) }
        storage = fresh
        base = 0
        limit = fresh.byteCapacity
    }

    @usableFromInline
    static func roundedCapacity(_ needed: Int) -> Int {
        var capacity = 64
        while capacity < needed { capacity = capacity &<< 1 }
        return capacity
    }

    /// Drops the consumed bytes before `readerIndex`, moving the readable bytes to index 0.
    public mutating func discardReadBytes() {
        guard readerIndex > 0 else { return }
        if readerIndex == writerIndex {
            clear()
            return
        }
        if !isKnownUniquelyReferenced(&storage) || base != 0 {
            let count = readableBytes
            let fresh = Storage.make(capacity: Self.roundedCapacity(count))
            fresh.bytes.copyMemory(from: storage.bytes + base + readerIndex, byteCount: count)
            storage = fresh
            base = 0
            limit = fresh.byteCapacity
        } else {
            (storage.bytes).copyMemory(from: storage.bytes + readerIndex, byteCount: readableBytes)
        }
        _writerIndex -= readerIndex
        _readerIndex = 0
    }

    /// Empties the buffer, keeping its capacity when it is not shared.
    @inlinable
    public mutating func clear() {
        if limit == 0 {
            // Empty storage (shared or a zero-length slice): nothing to keep.
        } else if !isKnownUniquelyReferenced(&storage) {
            storage = Storage.make(capacity: limit)
            base = 0
            limit = storage.byteCapacity
        }
        _readerIndex = 0
        _writerIndex = 0
    }

    // MARK: - Writing

    /// Appends bytes from raw memory.
    @inlinable
    @discardableResult
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        guard count > 0 else { return 0 }
        ensureUniqueAndWritable(count)
        (storage.bytes + base + writerIndex).copyMemory(from: bytes.baseAddress!, byteCount: count)
        _writerIndex += count
        return count
    }

    /// Appends a sequence of bytes.
    @inlinable
    @discardableResult
    public mutating func writeBytes<Bytes: Sequence>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        if let written = bytes.withContiguousStorageIfAvailable({ writeBytes(UnsafeRawBufferPointer($0)) }) {
            return written
        }
        var written = 0
        for byte in bytes {
            writeInteger(byte)
            written += 1
        }
        return written
    }

    /// Appends the readable bytes of another buffer (without consuming them there).
    @inlinable
    @discardableResult
    public mutating func writeBuffer(_ other: ByteBuffer) -> Int {
        other.withUnsafeReadableBytes { writeBytes($0) }
    }

    /// Appends the UTF-8 bytes of `string`.
    @inlinable
    @discardableResult
    public mutating func writeString(_ string: String) -> Int {
        var string = string
        return string.withUTF8 { writeBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Appends an integer in big-endian (network) order unless told otherwise.
    @inlinable
    @discardableResult
    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T, endianness: Endianness = .big) -> Int {
        let size = MemoryLayout<T>.size
        ensureUniqueAndWritable(size)
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + writerIndex).storeBytes(of: ordered, as: T.self)
        _writerIndex += size
        return size
    }

    /// Appends `count` copies of `byte`.
    @inlinable
    public mutating func writeRepeating(_ byte: UInt8, count: Int) {
        guard count > 0 else { return }
        ensureUniqueAndWritable(count)
        (storage.bytes + base + writerIndex).initializeMemory(as: UInt8.self, repeating: byte, count: count)
        _writerIndex += count
    }

    /// Lets `body` write directly into at least `minimumWritableBytes` of writable memory;
    /// `body` returns how many bytes it wrote, which become readable.
    @inlinable
    @discardableResult
    public mutating func writeWithUnsafeMutableBytes(
        minimumWritableBytes: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows -> Int {
        ensureUniqueAndWritable(minimumWritableBytes)
        let region = UnsafeMutableRawBufferPointer(start: storage.bytes + base + writerIndex, count: writableBytes)
        let written = try body(region)
        precondition(written >= 0 && written <= region.count, "wrote outside the writable region")
        _writerIndex += written
        return written
    }

    /// Overwrites an integer at an absolute index inside the written region (for length prefixes).
    @inlinable
    public mutating func setInteger<T: FixedWidthInteger>(_ value: T, at index: Int, endianness: Endianness = .big) {
        precondition(index >= 0 && index + MemoryLayout<T>.size <= writerIndex, "index out of the written region")
        ensureUniqueAndWritable(0)
        let ordered = endianness == .big ? value.bigEndian : value.littleEndian
        (storage.bytes + base + index).storeBytes(of: ordered, as: T.self)
    }

    /// Overwrites bytes at an absolute index inside the written region.
    @inlinable
    public mutating func setBytes(_ bytes: UnsafeRawBufferPointer, at index: Int) {
        precondition(index >= 0 && index + bytes.count <= writerIndex, "index out of the written region")
        guard bytes.count > 0 else { return }
        ensureUniqueAndWritable(0)
        (storage.bytes + base + index).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    // MARK: - Reading

    /// Reads an integer (big-endian unless told otherwise), or nil when too few bytes are readable.
    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        guard let value = getInteger(at: readerIndex, endianness: endianness, as: T.self) else { return nil }
        _readerIndex += MemoryLayout<T>.size
        return value
    }

    /// Reads `length` bytes into an array, or nil when too few are readable.
    @inlinable
    public mutating func readBytes(length: Int) -> [UInt8]? {
        guard let bytes = getBytes(at: readerIndex, length: length) else { return nil }
        _readerIndex += length
        return bytes
    }

    /// Reads `length` bytes as a buffer sharing this buffer's storage (no copy), or nil when too few are readable.
    @inlinable
    public mutating func readSlice(length: Int) -> ByteBuffer? {
        guard let slice = getSlice(at: readerIndex, length: length) else { return nil }
        _readerIndex += length
        return slice
    }

    /// Reads `length` bytes decoded as UTF-8 (invalid sequences repaired), or nil when too few are readable.
    @inlinable
    public mutating func readString(length: Int) -> String? {
        guard let string = getString(at: readerIndex, length: length) else { return nil }
        _readerIndex += length
        return string
    }

    /// Consumes `count` readable bytes.
    @inlinable
    public mutating func moveReaderIndex(forwardBy count: Int) {
        precondition(count >= 0 && count <= readableBytes, "cannot skip past the written bytes")
        _readerIndex += count
    }

    /// Sets the reader index to an absolute position inside the written region.
    @inlinable
    public mutating func moveReaderIndex(to index: Int) {
        precondition(index >= 0 && index <= writerIndex, "reader index out of range")
        _readerIndex = index
    }

    /// Drops written bytes from the end so that `writerIndex == index` (never below `readerIndex`).
    @inlinable
    public mutating func moveWriterIndex(to index: Int) {
        precondition(index >= readerIndex && index <= limit, "writer index out of range")
        _writerIndex = index
    }

    /// Reads everything readable as a slice (no copy).
    @inlinable
    public mutating func readAll() -> ByteBuffer {
        readSlice(length: readableBytes)!
    }

    // MARK: - Random access (absolute indices, no index movement)

    /// An integer at an absolute index, or nil when it lies outside the written bytes.
    @inlinable
    public func getInteger<T: FixedWidthInteger>(at index: Int, endianness: Endianness = .big, as: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard index >= 0, index <= writerIndex - size else { return nil }
        let raw = (storage.bytes + base + index).loadUnaligned(as: T.self)
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }

    /// A copy of `length` bytes at an absolute index, or nil when out of range.
    @inlinable
    public func getBytes(at index: Int, length: Int) -> [UInt8]? {
        guard index >= 0, length >= 0, index <= writerIndex - length else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length))
    }

    /// A view of `length` bytes at an absolute index sharing storage, or nil when out of range.
    @inlinable
    public func getSlice(at index: Int, length: Int) -> ByteBuffer? {
        guard index >= 0, length >= 0, index <= writerIndex - length else { return nil }
        var slice = self
        slice.base = base + index
        slice.limit = length
        slice._readerIndex = 0
        slice._writerIndex = length
        return slice
    }

    /// `length` bytes at an absolute index decoded as UTF-8, or nil when out of range.
    @inlinable
    public func getString(at index: Int, length: Int) -> String? {
        guard index >= 0, length >= 0, index <= writerIndex - length else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: storage.bytes + base + index, count: length),
                      as: UTF8.self)
    }

    /// The byte at an absolute index, or nil when out of range.
    @inlinable
    public func getByte(at index: Int) -> UInt8? {
        guard index >= 0, index < writerIndex else { return nil }
        return storage.bytes.load(fromByteOffset: base + index, as: UInt8.self)
    }

    // MARK: - Direct access

    /// Calls `body` with the readable bytes.
    @inlinable
    public func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.bytes + base + readerIndex, count: readableBytes))
    }

    /// Calls `body` with the readable bytes, mutably (copying first if the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableReadableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> R
    ) rethrows -> R {
        ensureUniqueAndWritable(0)
        return try body(UnsafeMutableRawBufferPointer(start: storage.bytes + base + readerIndex, count: readableBytes))
    }

    /// The readable bytes as a collection (a cheap view sharing storage).
    @inlinable
    public var readableBytesView: ByteBufferView { ByteBufferView(self) }

    /// The index of the first readable occurrence of `byte`, as an absolute index.
    @inlinable
    public func firstIndex(of byte: UInt8, from start: Int? = nil) -> Int? {
        let from = start ?? readerIndex
        guard from >= readerIndex, from < writerIndex else { return nil }
        let pointer = storage.bytes + base + from
        guard let found = memchr(pointer, Int32(byte), writerIndex - from) else { return nil }
        return from + (UnsafeRawPointer(found) - UnsafeRawPointer(pointer))
    }
}

/// Byte order of integers written to and read from a `ByteBuffer`.
public enum Endianness: Sendable {
    /// Most significant byte first; the order of every network protocol here.
    case big
    /// Least significant byte first.
    case little
}

extension ByteBuffer: Equatable {
    /// Two buffers are equal when their readable bytes are equal.
    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        guard lhs.readableBytes == rhs.readableBytes else { return false }
        return lhs.withUnsafeReadableBytes { l in
            rhs.withUnsafeReadableBytes { r in
                l.count == 0 || memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0
            }
        }
    }
}

extension ByteBuffer: Hashable {
    /// Hashes the readable bytes.
    public func hash(into hasher: inout Hasher) {
        withUnsafeReadableBytes { hasher.combine(bytes: $0) }
    }
}

extension ByteBuffer: CustomStringConvertible, CustomDebugStringConvertible {
    /// A short summary with the first readable bytes in hex.
    public var description: String {
        let shown = readableBytesView.prefix(32).map { byte -> String in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: " ")
        return "ByteBuffer(readable: \(readableBytes), [\(shown)\(readableBytes > 32 ? " …" : "")])"
    }

    /// Same as `description`.
    public var debugDescription: String { description }
}

extension ByteBuffer: ExpressibleByArrayLiteral {
    /// Creates a buffer from literal bytes, for tests and constants.
    public init(arrayLiteral elements: UInt8...) {
        self.init(bytes: elements)
    }
}
