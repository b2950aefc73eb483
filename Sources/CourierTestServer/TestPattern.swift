import CourierCore
#if canImport(Glibc)
import Glibc
#endif

/// The deterministic byte pattern of `/bytes/N` and `TestResponseBody.pattern`: byte `i` of a body is
/// `i % 251`. The period is prime, so a chunk lost, repeated or misplaced anywhere shows up when a test
/// checks what it received.
public enum TestPattern {
    /// The period of the pattern.
    public static let period = 251
    /// Slices up to this size are views of one shared table (no allocation, no copy).
    static let sharedSliceLimit = 64 * 1024

    private static let table: ByteBuffer = {
        var buffer = ByteBuffer(capacity: sharedSliceLimit + period)
        for index in 0..<(sharedSliceLimit + period) { buffer.writeInteger(UInt8(index % period)) }
        return buffer
    }()

    /// The pattern byte at `offset`.
    @inlinable
    public static func byte(at offset: Int) -> UInt8 { UInt8(offset % 251) }

    /// `count` pattern bytes starting at body offset `offset`.
    public static func bytes(offset: Int, count: Int) -> ByteBuffer {
        precondition(offset >= 0 && count >= 0, "pattern offsets and counts are non-negative")
        if count <= sharedSliceLimit {
            return table.getSlice(at: offset % period, length: count)!
        }
        var buffer = ByteBuffer(capacity: count)
        var position = offset
        while position < offset + count {
            let piece = min(sharedSliceLimit, offset + count - position)
            buffer.writeBuffer(table.getSlice(at: position % period, length: piece)!)
            position += piece
        }
        return buffer
    }

    /// Whether `bytes` are exactly the pattern's bytes starting at body offset `offset` (contiguous bytes,
    /// such as an array slice, are compared a table slice at a time: fast even in debug builds).
    public static func matches<Bytes: Sequence>(_ bytes: Bytes, offset: Int) -> Bool where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ matches(UnsafeRawBufferPointer($0), offset: offset) }) {
            return result
        }
        var expected = offset % period
        for byte in bytes {
            if byte != UInt8(expected) { return false }
            expected += 1
            if expected == period { expected = 0 }
        }
        return true
    }

    /// Whether the readable bytes of `buffer` are exactly the pattern's bytes starting at body offset
    /// `offset` (compared a table slice at a time, fast even in debug builds).
    public static func matches(_ buffer: ByteBuffer, offset: Int) -> Bool {
        buffer.withUnsafeReadableBytes { matches($0, offset: offset) }
    }

    private static func matches(_ received: UnsafeRawBufferPointer, offset: Int) -> Bool {
        var position = 0
        while position < received.count {
            let piece = min(sharedSliceLimit, received.count - position)
            let expected = table.getSlice(at: (offset + position) % period, length: piece)!
            let equal = expected.withUnsafeReadableBytes { memcmp($0.baseAddress!, received.baseAddress! + position, piece) == 0 }
            if !equal { return false }
            position += piece
        }
        return true
    }
}
