import CourierCore
import CourierTLS

/// Drives one engine over one blocking socket: the smallest possible transport, for tests against
/// real peers. (The production driver binds the engine to the reactor instead.)
final class TLSSocketPump {
    let engine: TLSEngine
    let socket: BlockingSocket
    var timeout: Duration = .seconds(10)
    private var inbound = ByteBuffer(capacity: 64 * 1024)
    private var outbound = ByteBuffer(capacity: 64 * 1024)
    /// Largest sizes seen, to show memory stays bounded.
    private(set) var peakInboundCapacity = 0
    private(set) var peakOutboundCapacity = 0
    private(set) var peakPendingInbound = 0
    var readChunk = 64 * 1024

    init(engine: TLSEngine, socket: BlockingSocket) {
        self.engine = engine
        self.socket = socket
    }

    /// Sends whatever the engine has queued.
    func flush() throws {
        outbound.clear()
        guard engine.outboundCiphertext(into: &outbound) > 0 else { return }
        peakOutboundCapacity = max(peakOutboundCapacity, outbound.capacity)
        try outbound.withUnsafeReadableBytes { try socket.write($0, timeout: timeout) }
    }

    /// Reads once from the socket into the engine; false when the peer closed the stream.
    @discardableResult
    func receive() throws -> Bool {
        inbound.clear()
        let count = try inbound.writeWithUnsafeMutableBytes(minimumWritableBytes: readChunk) { region in
            try socket.read(into: UnsafeMutableRawBufferPointer(rebasing: region.prefix(readChunk)), timeout: timeout)
        }
        peakInboundCapacity = max(peakInboundCapacity, inbound.capacity)
        if count == 0 {
            engine.receivedEndOfStream()
            return false
        }
        engine.feedCiphertext(inbound)
        peakPendingInbound = max(peakPendingInbound, engine.pendingInboundCiphertext)
        return true
    }

    /// Runs the handshake to completion. On failure the alert is sent before the error is rethrown.
    func handshake() throws {
        do {
            while try engine.handshake() == .wantRead {
                try flush()
                try receive()
            }
            try flush()
        } catch let error as TLSError {
            try? flush()
            throw error
        }
    }

    /// Writes all of `bytes`, sending as the engine fills up.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try engine.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            try flush()
        }
    }

    func write(_ text: String) throws {
        try Array(text.utf8).withUnsafeBytes { try write($0) }
    }

    /// Reads plaintext into `buffer`, waiting for the socket as needed; returns the engine's result
    /// (never `.wantRead`).
    func read(into buffer: inout ByteBuffer, maximumBytes: Int = 256 * 1024) throws -> TLSReadResult {
        while true {
            let result = try engine.readPlaintext(into: &buffer, maximumBytes: maximumBytes)
            try flush()  // e.g. TLS 1.3 key update replies
            if case .wantRead = result {
                try receive()
                continue
            }
            return result
        }
    }

    /// Reads until `done` says the bytes so far are enough, or the session ends.
    func read(until done: ([UInt8]) -> Bool) throws -> ([UInt8], TLSCloseReason?) {
        var bytes: [UInt8] = []
        var buffer = ByteBuffer(capacity: 16 * 1024)
        while !done(bytes) {
            switch try read(into: &buffer) {
            case .read:
                bytes += buffer.readBytes(length: buffer.readableBytes)!
                buffer.clear()
            case .closed(let reason):
                return (bytes, reason)
            case .wantRead:
                continue
            }
        }
        return (bytes, nil)
    }

    /// Reads everything until the peer ends the session.
    func readToEnd() throws -> ([UInt8], TLSCloseReason) {
        let (bytes, reason) = try read(until: { _ in false })
        return (bytes, reason ?? .truncated)
    }

    /// Sends close_notify and closes the socket.
    func close() {
        engine.close()
        try? flush()
        socket.close()
    }
}
