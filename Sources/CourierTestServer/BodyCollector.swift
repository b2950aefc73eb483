import CourierCore

/// A body sink that gathers chunks into one buffer, up to a limit.
final class BodyCollector: BodySink {
    private let buffer = Locked(ByteBuffer(capacity: 0))
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func write(_ chunk: ByteBuffer) async throws {
        try buffer.withLock { (buffer: inout ByteBuffer) throws(TestServerError) in
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw TestServerError(.bodyTooLarge, "a generated body exceeded \(limit) bytes while being collected")
            }
            buffer.writeBuffer(chunk)
        }
    }

    var bytes: ByteBuffer { buffer.withLock { $0 } }
}
