import CourierCore
import CourierReactor
import CourierTLS
import CourierTransport
import Synchronization

/// What every connection of one server shares: configuration, routes, recorder, TLS context, and the
/// registry of open connections (so shutdown can close them all).
///
/// Theory of operation. The listener hands each accepted socket to `accept` on the socket's loop. With TLS
/// the handshake runs first and ALPN picks the protocol; without, the first bytes are sniffed for the
/// HTTP/2 connection preface. The chosen protocol's driver then owns the stream; every request it parses
/// comes back here through `dispatch`, which routes it and runs the handler and the response sender as a
/// task on the connection's loop. Each socket is registered from accept to close (exactly one close path
/// unregisters it), so shutdown can close what is open and wait for it.
final class ServerContext: Sendable {
    let configuration: TestServer.Configuration
    let router = TestRouter()
    let recorder: TestServerRecorder
    let tlsContext: TLSServerContext?
    private let connectionIDs = Atomic<UInt64>(1)

    private struct Registry {
        var open: [UInt64: StreamConnection] = [:]
        var shuttingDown = false
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let registry = Locked(Registry())

    init(configuration: TestServer.Configuration, tlsContext: TLSServerContext?) {
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.recorder = TestServerRecorder(capacity: configuration.recordingCapacity,
                                           bodyLimit: configuration.recordedBodyLimit)
    }

    // MARK: - Connections

    /// A new socket from the listener (on the socket's loop).
    func accept(_ socket: StreamConnection) {
        let id = connectionIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        let registered = registry.withLock { registry -> Bool in
            guard !registry.shuttingDown else { return false }
            registry.open[id] = socket
            return true
        }
        guard registered else {
            socket.close()
            return
        }
        recorder.connectionOpened()
        if let tlsContext {
            let loop = socket.loop
            let timeout = configuration.tls?.handshakeTimeout ?? .seconds(10)
            Task(executorPreference: loop) {
                do {
                    let stream = try await TLSByteStream.accept(over: socket, context: tlsContext, timeout: timeout)
                    loop.runOnLoop {
                        let wantsHTTP2 = stream.negotiatedApplicationProtocol == "h2"
                        self.startProtocol(wantsHTTP2 ? .http2 : .http1, id: id, stream: stream, socket: socket,
                                           initialBytes: ByteBuffer(capacity: 0))
                    }
                } catch {
                    self.recorder.tlsHandshakeFailed()
                    self.connectionClosed(id)
                }
            }
        } else {
            let stream = PlainByteStream(socket)
            ProtocolSniffer(context: self, id: id, stream: stream, socket: socket).start()
        }
    }

    /// The protocol a connection speaks, once known.
    enum ServerProtocol {
        case http1
        case http2
    }

    /// Hands the stream to the driver of `serverProtocol` (on the loop).
    func startProtocol(_ serverProtocol: ServerProtocol, id: UInt64, stream: any ByteStream, socket: StreamConnection,
                       initialBytes: ByteBuffer) {
        guard socket.isOpen else {
            // Closed between the handshake and now: no driver will hear about it.
            connectionClosed(id)
            return
        }
        switch serverProtocol {
        case .http1:
            let connection = HTTP1ServerConnection(id: id, stream: stream, socket: socket, context: self,
                                                   isTLS: tlsContext != nil)
            connection.start(initialBytes: initialBytes)
        case .http2 where configuration.servesHTTP2:
            let connection = HTTP2ServerConnection(id: id, stream: stream, socket: socket, context: self,
                                                   isTLS: tlsContext != nil)
            connection.start(initialBytes: initialBytes)
        case .http2:
            recorder.protocolError("connection \(id): HTTP/2 is not served (servesHTTP2 is off)")
            socket.close()
            connectionClosed(id)
        }
    }

    /// A connection closed (called once per accepted socket).
    func connectionClosed(_ id: UInt64) {
        let (removed, waiters) = registry.withLock { registry -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard registry.open.removeValue(forKey: id) != nil else { return (false, []) }
            guard registry.open.isEmpty else { return (true, []) }
            defer { registry.emptyWaiters = [] }
            return (true, registry.emptyWaiters)
        }
        if removed { recorder.connectionClosed() }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops accepting, closes every open connection and waits until all have closed.
    func closeAll() async {
        let sockets = registry.withLock { registry -> [StreamConnection] in
            registry.shuttingDown = true
            return Array(registry.open.values)
        }
        for socket in sockets { socket.loop.runOnLoop { socket.close() } }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = registry.withLock { registry -> Bool in
                if registry.open.isEmpty { return true }
                registry.emptyWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - Requests

    /// Routes `request` and runs its handler and response as a task on the channel's loop.
    func dispatch(_ request: TestRequest, on channel: any ResponseChannel) -> Task<Void, Never> {
        var request = request
        let (handler, faults) = router.resolve(&request)
        let recorder = self.recorder
        let collectionLimit = configuration.http10BodyCollectionLimit
        return Task(executorPreference: channel.loop) { [request] in
            var response: TestResponse
            do {
                response = try await handler(request)
            } catch {
                // Cancelled because the connection closed: nobody is left to answer.
                if Task.isCancelled { return }
                recorder.handlerError("\(request.method) \(request.target): the handler threw \(error)")
                response = .text("the handler failed: \(error)\n", status: .internalServerError)
            }
            if !faults.isEmpty { response.faults += faults }
            let sender = ResponseSender(channel: channel, recorder: recorder, method: request.method, target: request.target,
                                        collectionLimit: collectionLimit)
            await sender.send(response)
        }
    }
}
