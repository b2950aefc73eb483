import CourierCore
import CourierReactor
import CourierTransport

/// Reads the first bytes of a cleartext connection to tell HTTP/2 with prior knowledge (the client
/// connection preface, RFC 9113 §3.4) from HTTP/1.1, then hands the stream and those bytes to the driver.
final class ProtocolSniffer: ByteStreamHandler, @unchecked Sendable {
    // Sendable proof: touched only on the stream's loop (created there, then only its callbacks run).

    /// The HTTP/2 client connection preface.
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private let context: ServerContext
    private let id: UInt64
    private let stream: any ByteStream
    private let socket: StreamConnection
    private var received = ByteBuffer(capacity: 0)
    private var decided = false
    private var idleTimer: ScheduledTask?

    init(context: ServerContext, id: UInt64, stream: any ByteStream, socket: StreamConnection) {
        self.context = context
        self.id = id
        self.stream = stream
        self.socket = socket
    }

    /// Starts reading; a connection that sends nothing within the idle timeout is closed.
    func start() {
        stream.start(handler: self)
        if let timeout = context.configuration.idleTimeout {
            idleTimer = stream.loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
                guard let self, !self.decided else { return }
                self.stream.close(error: nil)
            }
        }
    }

    func streamDidRead(_ buffer: inout ByteBuffer) {
        guard !decided else { return }
        if received.readableBytes == 0 {
            received = buffer.readAll()
        } else {
            received.writeBuffer(buffer.readAll())
        }
        let count = min(received.readableBytes, Self.preface.count)
        let matches = received.withUnsafeReadableBytes { $0.prefix(count).elementsEqual(Self.preface.prefix(count)) }
        if matches && count < Self.preface.count { return }
        decided = true
        idleTimer?.cancel()
        context.startProtocol(matches ? .http2 : .http1, id: id, stream: stream, socket: socket, initialBytes: received)
    }

    func streamDidReadEOF(_ end: EndOfInput) {
        guard !decided else { return }
        stream.close(error: nil)
    }

    func streamDidBecomeWritable() {}

    func streamDidClose(error: TransportError?) {
        guard !decided else { return }
        decided = true
        idleTimer?.cancel()
        context.connectionClosed(id)
    }
}
