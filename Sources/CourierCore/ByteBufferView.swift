/// The readable bytes of a `ByteBuffer` as a random-access collection, sharing its storage.
///
/// Indices are the buffer's absolute indices, so a position found in the view can be used with
/// `ByteBuffer.getSlice(at:length:)` on the buffer it came from.
public struct ByteBufferView: RandomAccessCollection, Sendable {
    @usableFromInline let buffer: ByteBuffer

    @inlinable
    init(_ buffer: ByteBuffer) { self.buffer = buffer }

    /// Absolute index of the first readable byte.
    @inlinable public var startIndex: Int { buffer.readerIndex }
    /// Absolute index just past the last readable byte.
    @inlinable public var endIndex: Int { buffer.writerIndex }

    /// The byte at an absolute index.
    @inlinable
    public subscript(position: Int) -> UInt8 {
        precondition(position >= startIndex && position < endIndex, "index out of range")
        return buffer.storage.bytes.load(fromByteOffset: buffer.base + position, as: UInt8.self)
    }

    /// Gives `body` the bytes as contiguous memory.
    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try buffer.withUnsafeReadableBytes { try body($0.bindMemory(to: UInt8.self)) }
    }
}
