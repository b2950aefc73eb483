import CourierCore
#if canImport(Glibc)
import Glibc
#endif

extension HTTPClientRequestBody {
    /// The whole body in memory, at most `maximumBytes` (`limitExceeded` beyond): for mock transports and
    /// tests that check what would be sent. A one-shot stream is consumed by this.
    public func collect(upTo maximumBytes: Int) async throws(HTTPClientError) -> ByteBuffer {
        if let length, length > maximumBytes {
            throw HTTPClientError(.limitExceeded, "the request body is larger than \(maximumBytes) bytes")
        }
        switch storage {
        case .bytes(let buffer):
            return buffer
        case .file(let path, let length, _):
            return try Self.readFile(path, length: length)
        case .stream(_, let make):
            var collected = ByteBuffer(capacity: 0)
            do {
                for try await chunk in make() {
                    guard collected.readableBytes + chunk.readableBytes <= maximumBytes else {
                        throw HTTPClientError(.limitExceeded, "the request body is larger than \(maximumBytes) bytes")
                    }
                    collected.writeBuffer(chunk)
                }
            } catch {
                throw HTTPClientError(mapping: error)
            }
            return collected
        }
    }

    /// The whole body as UTF-8 text, at most `maximumBytes`.
    public func collectString(upTo maximumBytes: Int) async throws(HTTPClientError) -> String {
        let buffer = try await collect(upTo: maximumBytes)
        return buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
    }

    private static func readFile(_ path: String, length: Int) throws(HTTPClientError) -> ByteBuffer {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPClientError(.invalidRequest, "cannot open \(path) (errno \(errno))") }
        defer { close(fd) }
        var buffer = ByteBuffer(capacity: length)
        var remaining = length
        while remaining > 0 {
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: remaining) { region in
                max(0, read(fd, region.baseAddress, remaining))
            }
            guard count > 0 else { throw HTTPClientError(.invalidRequest, "\(path) ended before its \(length) bytes") }
            remaining -= count
        }
        return buffer
    }
}
