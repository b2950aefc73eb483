import CourierCore

/// Receives a `StreamConnection`'s events, always on the connection's loop thread.
public protocol StreamConnectionHandler: AnyObject {
    /// New bytes arrived. Consume what you can by moving `buffer`'s reader index (e.g. with `readSlice`);
    /// what is left is handed back, with more bytes appended, on the next read.
    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer)
    /// The peer finished sending (TCP FIN). The connection stays open for writing until closed.
    /// The default closes the connection.
    func connectionDidReadEOF(_ connection: StreamConnection)
    /// Queued writes drained to the low watermark after `isWritable` had turned false: write more now.
    func connectionDidBecomeWritable(_ connection: StreamConnection)
    /// The connection closed: `error` is nil after an orderly close, otherwise what went wrong.
    /// Called exactly once; the connection drops its reference to the handler afterwards.
    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?)
}

extension StreamConnectionHandler {
    /// Closes the connection when the peer stops sending.
    public func connectionDidReadEOF(_ connection: StreamConnection) { connection.close() }
    /// Ignores writability.
    public func connectionDidBecomeWritable(_ connection: StreamConnection) {}
}
