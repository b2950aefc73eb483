import CZlib
import Courier

/// Compresses test bodies with zlib (gzip, zlib-wrapped deflate or raw deflate).
enum TestCompression {
    enum Format { case gzip, zlib, rawDeflate }

    static func compress(_ input: [UInt8], _ format: Format, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = switch format {
        case .gzip: 15 + 16
        case .zlib: 15
        case .rawDeflate: -15
        }
        precondition(deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        let produced = input.withUnsafeBufferPointer { source -> Int in
            output.withUnsafeMutableBufferPointer { target -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output[..<produced])
    }

    static func compress(_ text: String, _ format: Format) -> [UInt8] { compress(Array(text.utf8), format) }
}

/// An async sequence of chunks cut from `bytes` at the given sizes (cycled), for split-invariance tests.
struct ChunkedBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let sizes: [Int]

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let sizes: [Int]
        var offset = 0
        var index = 0
        mutating func next() async throws -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let size = Swift.max(1, sizes[index % sizes.count])
            index += 1
            let end = Swift.min(bytes.count, offset + size)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, sizes: sizes) }
}
