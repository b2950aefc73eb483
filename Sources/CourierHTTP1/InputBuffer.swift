import CourierCore

/// The bytes a parser has received and not yet consumed, plus where they sit in the stream.
///
/// Positions handed around while parsing are relative to `bytes.readerIndex`, so compacting the buffer
/// (which moves the reader index to 0) never invalidates a saved position. Appending to an empty
/// buffer adopts the caller's buffer instead of copying it, which makes body slices true views of
/// what the socket read.
struct InputBuffer {
    /// Shared by every parser with nothing buffered, so dropping a consumed buffer allocates nothing.
    static let empty = ByteBuffer(capacity: 0)

    var bytes = InputBuffer.empty
    /// Stream offset of `bytes.readerIndex`: how many bytes were consumed before it.
    var consumed = 0
    /// Whether the peer closed its side (no byte will ever be appended again).
    var receivedEOF = false

    var readable: Int { bytes.readableBytes }

    mutating func append(_ incoming: ByteBuffer) {
        precondition(!receivedEOF, "bytes appended after finish()")
        guard incoming.readableBytes > 0 else { return }
        if bytes.readableBytes == 0 {
            bytes = incoming
            return
        }
        if bytes.readerIndex > 0 { bytes.discardReadBytes() }
        bytes.writeBuffer(incoming)
    }

    mutating func append(_ incoming: UnsafeRawBufferPointer) {
        precondition(!receivedEOF, "bytes appended after finish()")
        guard incoming.count > 0 else { return }
        if bytes.readerIndex > 0 { bytes.discardReadBytes() }
        bytes.writeBytes(incoming)
    }

    /// Drops `count` readable bytes.
    @inline(__always)
    mutating func consume(_ count: Int) {
        bytes.moveReaderIndex(forwardBy: count)
        consumed &+= count
        releaseIfConsumed()
    }

    /// Takes `count` readable bytes as a view of the same storage (no copy).
    @inline(__always)
    mutating func take(_ count: Int) -> ByteBuffer {
        consumed &+= count
        let slice = bytes.readSlice(length: count)!
        releaseIfConsumed()
        return slice
    }

    /// Drops the reference to fully consumed storage, so the caller's read buffer is uniquely owned
    /// again (and can be reused without copying) once the slices handed out are gone.
    @inline(__always)
    private mutating func releaseIfConsumed() {
        if bytes.readableBytes == 0 { bytes = InputBuffer.empty }
    }

    /// A view of `count` bytes starting at a position relative to the reader index, without consuming.
    @inline(__always)
    func peek(at position: Int, count: Int) -> ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex &+ position, length: count)!
    }

    /// The byte at a position relative to the reader index.
    @inline(__always)
    func byte(at position: Int) -> UInt8 {
        bytes.getByte(at: bytes.readerIndex &+ position)!
    }

    /// Runs `body` over the readable bytes (never a null pointer, even when empty).
    @inline(__always)
    func withBytes<R>(_ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        bytes.withUnsafeReadableBytes { raw in
            if let base = raw.baseAddress {
                return body(base.assumingMemoryBound(to: UInt8.self), raw.count)
            }
            var empty: UInt8 = 0
            return withUnsafePointer(to: &empty) { body($0, 0) }
        }
    }
}
