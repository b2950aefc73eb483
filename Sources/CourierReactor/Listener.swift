import CourierCore
import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// A listening stream socket that accepts connections on one loop and hands each to `onAccept` on a
/// child loop (round-robin), unstarted: the callback attaches a handler with `start(handler:)`.
public final class Listener: @unchecked Sendable {
    // Sendable proof: `fd`, `loop`, `childLoops`, `options`, `onAccept` and `localAddress` are immutable;
    // `registrationID`, `closed`, `nextChild` and `pausedUntilRetry` are touched only on `loop`'s thread
    // (registration, selector events, the retry timer and `close` all run there).

    /// The loop that accepts.
    public let loop: EventLoop
    /// The bound address (with the real port when bound to port 0).
    public let localAddress: SocketAddress
    private let fd: Int32
    /// The listening descriptor (for diagnostics and leak checks).
    var descriptor: Int32 { fd }
    private let childLoops: [EventLoop]
    private let options: SocketOptions
    private let onAccept: @Sendable (StreamConnection) -> Void
    private var registrationID: UInt32 = 0
    private var closed = false
    private var nextChild = 0

    /// Binds and listens on `address` (port 0 picks a free port), accepting on `loop`.
    public static func bind(
        to address: SocketAddress, on loop: EventLoop, childLoops: [EventLoop]? = nil,
        backlog: Int32 = 1024, options: SocketOptions = SocketOptions(),
        onAccept: @escaping @Sendable (StreamConnection) -> Void
    ) throws(ReactorError) -> Listener {
        let fd = try SystemCalls.call("socket(\(address))") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            if case .unix(let path) = address {
                unlink(path)
            } else {
                try SystemCalls.setOption(fd, SOL_SOCKET, SO_REUSEADDR, Int32(1))
            }
            if case .ipv6 = address { try SystemCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, Int32(1)) }
            _ = try address.withSockAddr { pointer, length throws(ReactorError) in
                try SystemCalls.call("bind(\(address))") { Glibc.bind(fd, pointer, length) }
            }
            _ = try SystemCalls.call("listen(\(address))") { listen(fd, backlog) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let bound = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
            }
            let listener = Listener(fd: fd, loop: loop, localAddress: bound ?? address,
                                    childLoops: childLoops ?? [loop], options: options, onAccept: onAccept)
            loop.execute { listener.register() }
            return listener
        } catch {
            SystemCalls.close(fd)
            throw error
        }
    }

    private init(fd: Int32, loop: EventLoop, localAddress: SocketAddress, childLoops: [EventLoop],
                 options: SocketOptions, onAccept: @escaping @Sendable (StreamConnection) -> Void) {
        self.fd = fd
        self.loop = loop
        self.localAddress = localAddress
        self.childLoops = childLoops.isEmpty ? [loop] : childLoops
        self.options = options
        self.onAccept = onAccept
    }

    private func register() {
        guard !closed else { return }
        do {
            registrationID = try loop.register(fd: fd, interest: [.read], handler: self)
        } catch {
            closeNow()
        }
    }

    /// Stops accepting and closes the listening socket. Safe from any thread; connections already accepted
    /// are not affected.
    public func close() {
        if loop.inEventLoop { closeNow() } else { loop.execute { self.closeNow() } }
    }

    private func closeNow() {
        guard !closed else { return }
        closed = true
        if registrationID != 0 { loop.deregister(fd: fd, id: registrationID) }
        registrationID = 0
        SystemCalls.close(fd)
        if case .unix(let path) = localAddress { unlink(path) }
    }

    private func acceptPending() {
        for _ in 0..<256 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let accepted = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    courier_accept(fd, $0, &length)
                }
            }
            if accepted < 0 {
                switch courier_errno() {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: stop accepting for a moment instead of spinning.
                    pauseAccepting()
                    return
                default:
                    return
                }
            }
            let peer = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress($0, length: length) }
            } ?? localAddress
            try? StreamConnection.applyOptions(options, to: accepted, family: localAddress.family)
            let child = childLoops[nextChild % childLoops.count]
            nextChild &+= 1
            let connection = StreamConnection(fd: accepted, loop: child, remoteAddress: peer, options: options)
            let onAccept = self.onAccept
            if child === loop {
                onAccept(connection)
            } else {
                child.execute { onAccept(connection) }
            }
        }
    }

    private func pauseAccepting() {
        guard registrationID != 0 else { return }
        try? loop.reregister(fd: fd, id: registrationID, interest: [])
        _ = loop.scheduleLocal(at: SystemClock.now() + .milliseconds(100)) { [weak self] in
            guard let self, !self.closed, self.registrationID != 0 else { return }
            try? self.loop.reregister(fd: self.fd, id: self.registrationID, interest: [.read])
        }
    }
}

extension Listener: SelectableHandler {
    func selectorEvent(_ event: SelectorEvent) {
        if !closed { acceptPending() }
    }

    func loopShuttingDown() { closeNow() }
}
