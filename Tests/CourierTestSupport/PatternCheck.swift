import CourierCore
#if canImport(Glibc)
import Glibc
#endif

/// The deterministic body pattern used by interop fixtures: byte `i` is `i % 251`. Checking a received body
/// against it byte for byte is stronger than comparing digests, and fast (memcmp against a shifted table).
public enum PatternCheck {
    /// One period of the pattern followed by enough of the next to compare any chunk up to 1 MiB at any phase.
    public static let table: [UInt8] = (0..<(251 + (1 << 20))).map { UInt8($0 % 251) }

    /// The byte at `offset`.
    public static func byte(at offset: Int) -> UInt8 { UInt8(offset % 251) }

    /// Whether `chunk` is the pattern's bytes starting at `offset`.
    public static func matches(_ chunk: ByteBuffer, at offset: Int) -> Bool {
        var position = 0
        return chunk.withUnsafeReadableBytes { bytes in
            while position < bytes.count {
                let count = min(1 << 20, bytes.count - position)
                let equal = table.withUnsafeBufferPointer { table in
                    memcmp(bytes.baseAddress! + position, table.baseAddress! + (offset + position) % 251, count) == 0
                }
                if !equal { return false }
                position += count
            }
            return true
        }
    }
}
