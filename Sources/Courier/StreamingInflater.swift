import CourierCore
import CZlib

/// Decodes one gzip or deflate stream incrementally with zlib: compressed bytes in, at most a chosen number
/// of decoded bytes out per call, so a small input that expands enormously is produced piece by piece and
/// never held whole.
///
/// Formats (RFC 9110 §8.4.1): `gzip` (RFC 1952; several members one after another are decoded as one body,
/// as gzip(1) does) and `deflate`, which HTTP defines as the zlib format (RFC 1950) but which some servers
/// send as raw deflate (RFC 1951): the first two bytes tell which. Anything after the end of the stream is an
/// error, as is a body that ends before it.
///
/// The client uses it for transparent decompression; it is public for decoding stored bodies (and fuzzing).
/// Not thread-safe: the owner serializes calls.
public final class StreamingInflater {
    /// A content coding this type decodes.
    public enum Format: Sendable, Hashable {
        /// gzip (RFC 1952), members concatenated.
        case gzip
        /// zlib (RFC 1950) or raw deflate (RFC 1951), told apart by the first two bytes.
        case deflate
    }

    private let format: Format
    private let stream: UnsafeMutablePointer<z_stream>
    private var initialized = false
    /// The first byte of a deflate body, kept until the second one tells zlib from raw deflate.
    private var sniffed: UInt8?
    /// The current stream (or gzip member) ended; more input must start a new gzip member.
    private var memberEnded = false
    /// Compressed bytes consumed so far.
    public private(set) var consumedBytes = 0
    /// Decoded bytes produced so far.
    public private(set) var producedBytes = 0

    /// A decoder for one body in `format`.
    public init(format: Format) {
        self.format = format
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initialized { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Whether the input seen so far is a complete stream (it may end here).
    public var isAtEnd: Bool { memberEnded || (consumedBytes == 0 && sniffed == nil) }

    /// Whether decoded bytes may be waiting inside the decoder (the last call filled its output): call
    /// `inflate` again, with or without new input, before deciding the input ran short.
    public private(set) var hasPendingOutput = false

    /// Decodes from `input` (advancing its reader index over what was consumed) and appends at most
    /// `maximumOutput` decoded bytes to `output`. Returns when the output is full, the input is used up and
    /// nothing is pending, or the stream ended (with input left only if it is invalid, which throws).
    public func inflate(_ input: inout ByteBuffer, into output: inout ByteBuffer, maximumOutput: Int) throws(DecompressionError) {
        var produced = 0
        while produced < maximumOutput, input.readableBytes > 0 || hasPendingOutput {
            if memberEnded {
                guard format == .gzip else {
                    throw DecompressionError(.trailingData, "\(input.readableBytes) bytes after the end of the deflate stream")
                }
                inflateReset(stream)
                memberEnded = false
            }
            if !initialized {
                guard try start(&input) else { return }
            }
            let wanted = maximumOutput - produced
            var status: Int32 = Z_OK
            var consumed = 0
            let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { region -> Int in
                input.withUnsafeReadableBytes { source -> Int in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
                    stream.pointee.avail_in = uInt(min(source.count, Int(UInt32.max)))
                    stream.pointee.next_out = region.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = uInt(wanted)
                    status = CZlib.inflate(stream, Z_NO_FLUSH)
                    consumed = min(source.count, Int(UInt32.max)) - Int(stream.pointee.avail_in)
                    stream.pointee.next_in = nil
                    stream.pointee.avail_in = 0
                    let count = wanted - Int(stream.pointee.avail_out)
                    stream.pointee.next_out = nil
                    stream.pointee.avail_out = 0
                    return count
                }
            }
            input.moveReaderIndex(forwardBy: consumed)
            consumedBytes += consumed
            producedBytes += written
            produced += written
            // A full output region may leave decoded bytes inside zlib even with no input left.
            hasPendingOutput = status == Z_OK && written == wanted
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                memberEnded = true
            case Z_BUF_ERROR:
                // No progress possible: zlib wants more input (the output had room) — wait for it.
                if consumed == 0 && written == 0 { return }
            default:
                throw DecompressionError(.corruptData, errorMessage(status))
            }
        }
    }

    /// The body ended: succeeds only if the stream was complete.
    public func finish() throws(DecompressionError) {
        precondition(!hasPendingOutput, "finish() with decoded bytes still pending: call inflate until none are")
        guard isAtEnd else {
            throw DecompressionError(.truncated, "the \(format) stream ended after \(consumedBytes) bytes, before its end marker")
        }
    }

    /// Sets zlib up for the format; for deflate, waits for two bytes to tell a zlib header from raw deflate.
    /// Returns false when it must wait for more input.
    private func start(_ input: inout ByteBuffer) throws(DecompressionError) -> Bool {
        switch format {
        case .gzip:
            try initialize(windowBits: 15 + 16)
        case .deflate:
            if let held = sniffed {
                // The body's first chunk was one byte: put it back in front (a copy, in this odd case only).
                var merged = ByteBuffer(capacity: input.readableBytes + 1)
                merged.writeInteger(held)
                merged.writeBuffer(input)
                input = merged
                sniffed = nil
                consumedBytes -= 1
            }
            guard input.readableBytes >= 2 else {
                sniffed = input.readInteger(as: UInt8.self)
                consumedBytes += 1
                return false
            }
            let first = input.getByte(at: input.readerIndex)!, second = input.getByte(at: input.readerIndex + 1)!
            let isZlib = first & 0x0F == 8 && first >> 4 <= 7 && (UInt16(first) << 8 | UInt16(second)) % 31 == 0
            try initialize(windowBits: isZlib ? 15 : -15)
        }
        return true
    }

    private func initialize(windowBits: Int32) throws(DecompressionError) {
        let status = inflateInit2_(stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw DecompressionError(.corruptData, "zlib could not start (\(status))") }
        initialized = true
    }

    private func errorMessage(_ status: Int32) -> String {
        if let message = stream.pointee.msg { return "zlib: " + String(cString: message) }
        switch status {
        case Z_NEED_DICT: return "zlib: the stream needs a preset dictionary"
        case Z_MEM_ERROR: return "zlib: out of memory"
        default: return "zlib error \(status)"
        }
    }
}
