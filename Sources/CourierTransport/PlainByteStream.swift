import CourierCore
import CourierReactor

/// A `ByteStream` straight over a socket.
public final class PlainByteStream: ByteStream, StreamConnectionHandler, @unchecked Sendable {
    // Sendable proof: `connection` is immutable and loop-bound; `handler` is read and written only on the
    // connection's loop (in `start` and in the connection's callbacks), as the protocol requires.

    /// The socket.
    public let connection: StreamConnection
    private var handler: (any ByteStreamHandler)?

    /// Wraps a connected socket (not started yet).
    public init(_ connection: StreamConnection) {
        self.connection = connection
    }

    public var loop: EventLoop { connection.loop }
    public var remoteAddress: SocketAddress { connection.remoteAddress }
    public var negotiatedApplicationProtocol: String? { nil }
    public var isWritable: Bool { connection.isWritable }

    public func start(handler: any ByteStreamHandler) {
        self.handler = handler
        connection.start(handler: self)
    }

    public func write(_ buffer: ByteBuffer) { connection.write(buffer) }
    public func flush() { connection.flush() }
    public func pauseReading() { connection.pauseReading() }
    public func resumeReading() { connection.resumeReading() }

    public func close(error: TransportError?) {
        pendingCloseError = error
        connection.close()
    }

    private var pendingCloseError: TransportError?

    // MARK: StreamConnectionHandler

    public func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        handler?.streamDidRead(&buffer)
    }

    public func connectionDidReadEOF(_ connection: StreamConnection) {
        handler?.streamDidReadEOF(.clean)
    }

    public func connectionDidBecomeWritable(_ connection: StreamConnection) {
        handler?.streamDidBecomeWritable()
    }

    public func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {
        let handler = self.handler
        self.handler = nil
        handler?.streamDidClose(error: pendingCloseError ?? error.map { TransportError($0) })
    }
}
