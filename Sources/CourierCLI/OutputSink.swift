import Courier
#if canImport(Glibc)
import Glibc
#endif

/// Where a response goes: standard output or a file (`-o`), written strictly in order as the bytes arrive.
/// No seeking, no temporary file and rename, so the file may be a pipe or a FIFO. A file is created (or
/// truncated) only when the first bytes are written or the transfer completes, so a failed connection leaves
/// an existing file alone.
struct OutputSink: ~Copyable {
    /// The destination.
    enum Target: Sendable, Equatable {
        case standardOutput
        case file(String)
    }

    let target: Target
    private var descriptor: Int32 = -1

    init(_ target: Target) {
        self.target = target
        if target == .standardOutput { descriptor = 1 }
    }

    /// The destination for messages: `stdout` or the path.
    var name: String {
        switch target {
        case .standardOutput: "standard output"
        case .file(let path): path
        }
    }

    /// Writes the readable bytes of `buffer`.
    mutating func write(_ buffer: ByteBuffer) throws(TransferFailure) {
        var failure: TransferFailure?
        buffer.withUnsafeReadableBytes { bytes in
            do throws(TransferFailure) { try write(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `text` as UTF-8.
    mutating func write(_ text: String) throws(TransferFailure) {
        var text = text
        var failure: TransferFailure?
        text.withUTF8 { bytes in
            do throws(TransferFailure) { try write(UnsafeRawBufferPointer(bytes)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes `bytes` whole, waiting when the descriptor is non-blocking and full.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(TransferFailure) {
        try openIfNeeded()
        var offset = 0
        while offset < bytes.count {
            let result = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result >= 0 {
                offset += result
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK {
                var poll = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = Glibc.poll(&poll, 1, -1)
                continue
            }
            throw Self.failure("writing \(name) failed", error)
        }
    }

    /// Creates the file if nothing was written yet (an empty body still makes an empty file), then closes it.
    /// A close that fails (a deferred write error) is reported.
    mutating func finish() throws(TransferFailure) {
        try openIfNeeded()
        guard case .file = target, descriptor >= 0 else { return }
        let result = Glibc.close(descriptor)
        descriptor = -1
        if result != 0 { throw Self.failure("closing \(name) failed", errno) }
    }

    private mutating func openIfNeeded() throws(TransferFailure) {
        guard descriptor < 0, case .file(let path) = target else { return }
        let result = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard result >= 0 else { throw Self.failure("cannot open \(path) for writing", errno) }
        descriptor = result
    }

    private static func failure(_ what: String, _ error: Int32) -> TransferFailure {
        TransferFailure(code: "outputFailed", message: "\(what): \(String(cString: strerror(error)))", status: .output)
    }

    deinit {
        if case .file = target, descriptor >= 0 { Glibc.close(descriptor) }
    }
}
