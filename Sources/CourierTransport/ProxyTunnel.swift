import CourierCore
import CourierReactor
import CourierHTTP1

/// Opens an HTTP `CONNECT` tunnel (RFC 9110 §9.3.6) through a forward proxy over a connected socket: sends
/// `CONNECT host:port` (with `Proxy-Authorization` when configured), reads the proxy's answer with the
/// strict response parser, and returns once a 2xx opened the tunnel; the socket then carries the origin's
/// bytes (TLS is started over it next). Any other answer fails with `proxyFailed` naming the status, and
/// the socket is closed. Bytes that follow the proxy's 2xx before the client spoke are a protocol
/// violation: a TLS server never speaks first.
final class ProxyTunnel: StreamConnectionHandler, @unchecked Sendable {
    // Sendable proof: created inside `loop.execute` and from then on touched only on the connection's loop
    // (its callbacks and timer run there).

    private let connection: StreamConnection
    private let target: String
    private var parser: HTTP1ResponseParser
    private var timer: ScheduledTask?
    private var completion: ((Result<Void, TransportError>) -> Void)?
    private var status: Int?

    private init(connection: StreamConnection, target: String, limits: HTTP1Limits,
                 completion: @escaping (Result<Void, TransportError>) -> Void) {
        self.connection = connection
        self.target = target
        self.parser = HTTP1ResponseParser(limits: limits)
        self.completion = completion
    }

    /// Asks the proxy at the other end of `connection` (connected, not started) for a tunnel to `origin`.
    static func open(over connection: StreamConnection, to origin: Origin, proxy: ProxyEndpoint, limits: HTTP1Limits,
                     timeout: Duration) async throws(TransportError) {
        let target = origin.host.contains(":") ? "[\(origin.host)]:\(origin.port)" : "\(origin.host):\(origin.port)"
        var head = ByteBuffer(capacity: 256)
        var serializer = HTTP1RequestSerializer()
        do {
            let fields = proxy.authorization.map { [(name: "Proxy-Authorization", value: $0)] } ?? []
            try serializer.writeRequestHead(method: "CONNECT", target: target, host: target, fields: fields, body: .none,
                                            into: &head)
        } catch {
            connection.loop.execute { connection.close() }
            throw TransportError(.invalidRequest, "cannot write CONNECT for \(target): \(error)", underlying: error,
                                 requestNotProcessed: true)
        }
        let request = head
        let result: Result<Void, TransportError> = await withUnsafeContinuation { continuation in
            connection.loop.execute {
                let tunnel = ProxyTunnel(connection: connection, target: target, limits: limits) {
                    continuation.resume(returning: $0)
                }
                tunnel.begin(request, timeout: timeout, proxy: proxy)
            }
        }
        try result.get()
    }

    private func begin(_ request: ByteBuffer, timeout: Duration, proxy: ProxyEndpoint) {
        timer = connection.loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in
            self?.finish(.failure(TransportError(.connectTimeout, "the proxy \(proxy) did not open a tunnel to \(self?.target ?? "") within \(timeout)",
                                                 requestNotProcessed: true)))
        }
        parser.expectResponse(toMethod: "CONNECT")
        connection.start(handler: self)
        connection.write(request)
        connection.flush()
    }

    private func finish(_ result: Result<Void, TransportError>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        if case .failure = result { connection.close() }
        completion(result)
    }

    private func parse() {
        while completion != nil {
            let event: HTTP1ResponseParser.Event?
            do {
                event = try parser.next()
            } catch {
                let failure = TransportError(error)
                finish(.failure(TransportError(.proxyFailed, "the proxy's answer to CONNECT \(target) is malformed: \(failure.message)",
                                               underlying: error, requestNotProcessed: true)))
                return
            }
            guard let event else { return }
            switch event {
            case .informational:
                continue
            case .head(let head):
                status = head.status
                guard (200...299).contains(head.status) else {
                    let hint = head.status == 407 ? " (proxy authentication required: give credentials in the proxy URL)" : ""
                    finish(.failure(TransportError(.proxyFailed, "the proxy refused CONNECT \(target): \(head.status) \(head.reason)\(hint)",
                                                   requestNotProcessed: true)))
                    return
                }
            case .upgraded(let early):
                guard early.readableBytes == 0 else {
                    finish(.failure(TransportError(.protocolViolation, "bytes arrived through the tunnel to \(target) before the client spoke",
                                                   requestNotProcessed: true)))
                    return
                }
                finish(.success(()))
            case .body, .end:
                // Only a non-2xx answer has a body, and it was refused at its head.
                continue
            }
        }
    }

    // MARK: - StreamConnectionHandler

    func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) {
        guard completion != nil else {
            // The tunnel is open and the next protocol has not taken over: nobody may speak yet.
            connection.close(error: nil)
            return
        }
        parser.append(buffer.readAll())
        parse()
    }

    func connectionDidReadEOF(_ connection: StreamConnection) {
        finish(.failure(TransportError(.proxyFailed, "the proxy closed the connection before opening a tunnel to \(target)",
                                       requestNotProcessed: true)))
    }

    func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {
        let detail = error.map { ": \($0)" } ?? ""
        finish(.failure(TransportError(.proxyFailed, "the connection to the proxy closed before the tunnel to \(target) opened\(detail)",
                                       requestNotProcessed: true)))
    }
}
