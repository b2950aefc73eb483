#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CourierCore

/// The client connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 §3.4). A client
/// sends it first, followed by a SETTINGS frame; a server checks it before reading frames.
public enum HTTP2ConnectionPreface {
    /// The 24 octets.
    public static let bytes: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The length of the preface, 24 octets.
    public static let length = 24

    /// Appends the preface to `buffer`.
    public static func write(into buffer: inout ByteBuffer) { buffer.writeBytes(bytes) }

    /// Checks the start of `buffer` for the preface and consumes it. Returns false when fewer than
    /// 24 octets are readable (nothing consumed); throws PROTOCOL_ERROR when the octets differ, as
    /// soon as a mismatch is visible.
    public static func consume(from buffer: inout ByteBuffer) throws(HTTP2Error) -> Bool {
        let available = min(buffer.readableBytes, length)
        let matches = buffer.withUnsafeReadableBytes { readable in
            bytes.withUnsafeBytes { expected in
                available == 0 || memcmp(readable.baseAddress!, expected.baseAddress!, available) == 0
            }
        }
        guard matches else {
            throw .connection(.invalidPreface, .protocolError, "the client connection preface is wrong")
        }
        guard available == length else { return false }
        buffer.moveReaderIndex(forwardBy: length)
        return true
    }
}
