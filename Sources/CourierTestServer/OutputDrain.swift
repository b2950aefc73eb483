import CourierCore
import CourierReactor
import CourierTransport

/// Tells when everything written to a connection has left the process (the socket's queue is empty), for
/// faults that close or reset after the bytes before them went out. Loop-confined, like its connection.
///
/// The reactor reports writability only when a full queue drains below its low watermark, so a short queue
/// is checked again every millisecond until it is empty; a client that stops reading keeps the check going
/// until it reads or the connection closes.
final class OutputDrain {
    private let stream: any ByteStream
    private let socket: StreamConnection
    private var waiters: [(Bool) -> Void] = []
    private var timer: ScheduledTask?

    init(stream: any ByteStream, socket: StreamConnection) {
        self.stream = stream
        self.socket = socket
    }

    /// Calls back with true once the queue is empty, or with false when the connection closes first.
    func whenDrained(_ callback: @escaping (Bool) -> Void) {
        guard socket.isOpen else {
            callback(false)
            return
        }
        stream.flush()
        if socket.queuedWriteBytes == 0 {
            callback(true)
            return
        }
        waiters.append(callback)
        scheduleCheck()
    }

    private func scheduleCheck() {
        guard timer == nil else { return }
        timer = socket.loop.scheduleLocal(at: SystemClock.now() + .milliseconds(1)) { [weak self] in
            guard let self else { return }
            self.timer = nil
            guard self.socket.isOpen else { return }
            self.stream.flush()
            if self.socket.queuedWriteBytes == 0 {
                self.resolve(true)
            } else {
                self.scheduleCheck()
            }
        }
    }

    /// The connection closed: waiters hear false.
    func connectionClosed() {
        timer?.cancel()
        timer = nil
        resolve(false)
    }

    private func resolve(_ drained: Bool) {
        let waiters = self.waiters
        self.waiters = []
        for waiter in waiters { waiter(drained) }
    }
}
