import CourierCore
#if canImport(Glibc)
import Glibc
#endif

extension HTTPClientResponse.Body {
    /// Reads the whole body into one buffer, failing with `limitExceeded` past `maximumBytes` (the rest is
    /// cancelled, so a huge or hostile body cannot exhaust memory).
    public func collect(upTo maximumBytes: Int) async throws(HTTPClientError) -> ByteBuffer {
        if case .bytes(let buffer) = source {
            guard buffer.readableBytes <= maximumBytes else {
                throw HTTPClientError(.limitExceeded, "the body is larger than \(maximumBytes) bytes")
            }
            return buffer
        }
        var collected = ByteBuffer(capacity: 0)
        var first = true
        do {
            for try await chunk in self {
                if collected.readableBytes + chunk.readableBytes > maximumBytes {
                    cancel()
                    throw HTTPClientError(.limitExceeded, "the body is larger than \(maximumBytes) bytes")
                }
                if first {
                    // The common one-chunk body is returned without a copy.
                    collected = chunk
                    first = false
                } else {
                    collected.writeBuffer(chunk)
                }
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(mapping: error)
        }
        return collected
    }

    /// The body decoded as UTF-8 (invalid sequences repaired), at most `maximumBytes`.
    public func string(upTo maximumBytes: Int) async throws(HTTPClientError) -> String {
        let buffer = try await collect(upTo: maximumBytes)
        return buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
    }

    /// The body's lines (split on LF, a trailing CR removed), streamed: memory holds one line at a time.
    /// A line longer than `maximumLineLength` fails with `limitExceeded`. Suits NDJSON and server-sent events.
    public func lines(maximumLineLength: Int = 1 << 20) -> Lines {
        Lines(body: self, maximumLineLength: maximumLineLength)
    }

    /// Writes the body to `path` as it arrives (created or truncated; a pipe or FIFO works: no seeking),
    /// calling `progress(bytesWritten)` after each chunk. Returns the number of bytes written.
    @discardableResult
    public func download(to path: String, progress: (@Sendable (Int) -> Void)? = nil) async throws(HTTPClientError) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HTTPClientError(.invalidRequest, "cannot open \(path) for writing (errno \(errno))") }
        defer { close(fd) }
        var written = 0
        do {
            for try await chunk in self {
                let failure: Int32? = chunk.withUnsafeReadableBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let result = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                        if result < 0 {
                            if errno == EINTR { continue }
                            return errno
                        }
                        offset += result
                    }
                    return nil
                }
                if let failure { throw HTTPClientError(.invalidRequest, "writing \(path) failed (errno \(failure))") }
                written += chunk.readableBytes
                progress?(written)
            }
        } catch let error as HTTPClientError {
            cancel()
            throw error
        } catch {
            throw HTTPClientError(mapping: error)
        }
        return written
    }

    /// The lines of a body, as an async sequence of strings.
    public struct Lines: AsyncSequence, Sendable {
        public typealias Element = String
        let body: HTTPClientResponse.Body
        let maximumLineLength: Int

        /// Iterates the lines.
        public struct AsyncIterator: AsyncIteratorProtocol {
            var chunks: HTTPClientResponse.Body.AsyncIterator
            let maximumLineLength: Int
            var pending = ByteBuffer(capacity: 0)
            var finished = false

            /// The next line, or nil at the end of the body (a last line without LF is returned too).
            public mutating func next() async throws -> String? {
                while true {
                    if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        var length = newline - pending.readerIndex
                        let line = pending.readSlice(length: length)!
                        pending.moveReaderIndex(forwardBy: 1)
                        length = line.readableBytes
                        if length > 0, line.getByte(at: length - 1) == UInt8(ascii: "\r") { length -= 1 }
                        return line.getString(at: 0, length: length)
                    }
                    if pending.readableBytes > maximumLineLength {
                        throw HTTPClientError(.limitExceeded, "a line is longer than \(maximumLineLength) bytes")
                    }
                    if finished {
                        guard pending.readableBytes > 0 else { return nil }
                        let rest = pending.readAll()
                        return rest.getString(at: 0, length: rest.readableBytes)
                    }
                    if let chunk = try await chunks.next() {
                        if pending.readableBytes == 0 { pending = chunk } else {
                            pending.discardReadBytes()
                            pending.writeBuffer(chunk)
                        }
                    } else {
                        finished = true
                    }
                }
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(chunks: body.makeAsyncIterator(), maximumLineLength: maximumLineLength)
        }
    }
}
