import CourierCore
import CourierTransport
import Logging

/// Follows one request for the event listener, debug logging and metrics: made only when one of them is on,
/// shared by the request's hops (copies of the request carry it), fed by the features, the network executor
/// and the final body, and reporting the request's metrics once it ended.
final class RequestObservation: Sendable {
    let id: UInt64
    let start: Timestamp
    private let listener: (any HTTPClientEventListener)?
    private let logger: Logger?
    private let recorder: MetricsRecorder?
    private let state: Locked<State>

    private struct State {
        var transactions: [HTTPClientTransactionMetrics] = []
        var bodyEnded: [Bool] = []
        var bodyCompleted: [Bool] = []
        var bodyError: [HTTPClientError?] = []
        var redirects: [HTTPClientResponse.Redirect] = []
        var finalIndex: Int?
        var error: HTTPClientError?
        var finished = false
    }

    init(id: UInt64, listener: (any HTTPClientEventListener)?, logger: Logger?, recorder: MetricsRecorder?) {
        self.id = id
        self.start = SystemClock.now()
        self.listener = listener
        self.logger = logger
        self.recorder = recorder
        self.state = Locked(State())
    }

    private func now() -> Duration { SystemClock.now() - start }
    private func offset(_ timestamp: Timestamp?) -> Duration? { timestamp.map { $0 - start } }

    // MARK: - Events

    func started(_ request: HTTPRequest) {
        logger?.debug("request \(request.method) \(URLReference(request)?.string ?? request.path ?? "")")
        listener?.requestStarted(request, requestID: id)
    }

    func hopStarted(_ request: HTTPRequest, bodyLength: Int?) {
        let at = now()
        state.withLock { state in
            state.transactions.append(HTTPClientTransactionMetrics(request: request, fetchStart: at, requestBodyBytes: bodyLength))
            state.bodyEnded.append(false)
            state.bodyCompleted.append(false)
            state.bodyError.append(nil)
        }
        listener?.hopStarted(request, requestID: id)
    }

    func connectionAcquired(_ connection: any ClientConnection, origin: Origin) {
        let at = now()
        let setup = connection.takeSetupMetrics()
        var info = HTTPClientConnectionInfo(id: connection.connectionID, protocolVersion: connection.protocolVersion,
                                            isReused: setup == nil, origin: origin.description,
                                            proxy: origin.proxy?.description)
        if let setup {
            info.remoteAddress = setup.remoteAddress?.description
            info.tlsVersion = setup.tlsVersion?.description
            info.tlsCipherSuite = setup.tlsCipherSuite
            info.applicationProtocol = setup.applicationProtocol
            info.tlsSessionReused = setup.tlsStart == nil ? nil : setup.tlsSessionReused
            info.peerCertificate = setup.peerCertificate
        }
        state.withLock { state in
            guard let index = state.transactions.indices.last else { return }
            state.transactions[index].connection = info
            state.transactions[index].connectionAcquired = at
            state.transactions[index].protocolVersion = connection.protocolVersion
            if let setup {
                state.transactions[index].domainLookupStart = offset(setup.domainLookupStart)
                state.transactions[index].domainLookupEnd = offset(setup.domainLookupEnd)
                state.transactions[index].connectStart = offset(setup.connectStart)
                state.transactions[index].connectEnd = offset(setup.connectEnd)
                state.transactions[index].proxyTunnelStart = offset(setup.proxyTunnelStart)
                state.transactions[index].proxyTunnelEnd = offset(setup.proxyTunnelEnd)
                state.transactions[index].tlsStart = offset(setup.tlsStart)
                state.transactions[index].tlsEnd = offset(setup.tlsEnd)
            }
        }
        if let logger {
            var text = "connection #\(info.id) \(info.isReused ? "reused" : "new") \(info.protocolVersion.rawValue) to \(info.origin)"
            if let address = info.remoteAddress { text += " at \(address)" }
            if let tls = info.tlsVersion { text += ", \(tls) \(info.tlsCipherSuite ?? "") ALPN \(info.applicationProtocol ?? "none")" }
            if let setup {
                let dns = setup.domainLookupEnd.flatMap { end in setup.domainLookupStart.map { end - $0 } }
                let connect = setup.connectEnd.flatMap { end in setup.connectStart.map { end - $0 } }
                let tls = setup.tlsEnd.flatMap { end in setup.tlsStart.map { end - $0 } }
                text += "; dns \(Self.milliseconds(dns)) connect \(Self.milliseconds(connect)) tls \(Self.milliseconds(tls))"
            }
            logger.debug("\(text)")
        }
        listener?.connectionAcquired(info, requestID: id)
    }

    func requestSent() {
        let at = now()
        state.withLock { state in
            guard let index = state.transactions.indices.last else { return }
            state.transactions[index].requestSent = at
        }
    }

    /// The hop's response head arrived: note it, and watch its body.
    func responseReceived(_ response: HTTPClientResponse) -> HTTPClientResponse {
        let at = now()
        let index = state.withLock { state -> Int in
            let index = state.transactions.count - 1
            state.transactions[index].response = response.head
            state.transactions[index].responseStart = at
            state.transactions[index].protocolVersion = state.transactions[index].protocolVersion ?? response.version
            return index
        }
        logger?.debug("response \(response.status.code) \(response.version.rawValue) after \(Self.milliseconds(at))")
        listener?.responseReceived(response.head, version: response.version, requestID: id)
        var observed = response
        if response.body.isKnownEmpty {
            bodyEnded(index: index, bytes: 0, completed: true, error: nil)
        } else {
            observed.body = HTTPClientResponse.Body(wrapping: ObservedBodySource(inner: response.body.makeSource(),
                                                                                 observation: self, index: index))
        }
        return observed
    }

    func redirected(_ redirect: HTTPClientResponse.Redirect) {
        state.withLock { $0.redirects.append(redirect) }
        logger?.debug("redirect \(redirect.status.code) to \(redirect.to)")
        listener?.redirectFollowed(redirect, requestID: id)
    }

    /// The client returns this response to the caller: the request ends with its body.
    func finalResponseReturned() {
        let done = state.withLock { state -> Bool in
            state.finalIndex = state.transactions.count - 1
            return state.finalIndex.map { state.bodyEnded[$0] } ?? true
        }
        if done { finish() }
    }

    /// The request failed before a response was returned.
    func failed(_ error: HTTPClientError) {
        state.withLock { $0.error = error }
        finish()
    }

    func bodyEnded(index: Int, bytes: Int, completed: Bool, error: HTTPClientError?) {
        let at = now()
        let isFinal = state.withLock { state -> Bool in
            guard index < state.transactions.count, !state.bodyEnded[index] else { return false }
            state.bodyEnded[index] = true
            state.bodyCompleted[index] = completed
            state.bodyError[index] = error
            state.transactions[index].responseEnd = at
            state.transactions[index].responseBodyBytes = bytes
            return state.finalIndex == index
        }
        if isFinal { finish() }
    }

    private func finish() {
        let at = now()
        let metrics = state.withLock { state -> HTTPClientRequestMetrics? in
            guard !state.finished else { return nil }
            state.finished = true
            let final = state.finalIndex
            return HTTPClientRequestMetrics(
                requestID: id, transactions: state.transactions, redirects: state.redirects, duration: at,
                error: state.error ?? final.flatMap { state.bodyError[$0] },
                bodyCompleted: final.map { state.bodyCompleted[$0] } ?? false)
        }
        guard let metrics else { return }
        if let logger {
            if let error = metrics.error {
                logger.debug("failed after \(Self.milliseconds(at)): \(error)")
            } else {
                logger.debug("finished \(metrics.finalTransaction?.response?.status.code ?? 0), \(metrics.responseBodyBytes) body bytes in \(Self.milliseconds(at))")
            }
        }
        if let recorder {
            let sent = metrics.transactions.reduce(0) { $0 + ($1.requestBodyBytes ?? 0) }
            recorder.requestFinished(status: metrics.error == nil ? metrics.finalTransaction?.response?.status.code : nil,
                                     duration: at, bytesIn: metrics.responseBodyBytes, bytesOut: sent)
        }
        listener?.requestFinished(metrics)
    }

    static func milliseconds(_ duration: Duration?) -> String {
        guard let duration else { return "-" }
        let micros = duration.nanosecondsClamped / 1000
        return "\(micros / 1000).\(String(micros % 1000 / 100))ms"
    }
}

/// Counts a body's bytes and reports how it ended (read to the end, failed, cancelled or dropped).
final class ObservedBodySource: ResponseBodySource {
    private let inner: any ResponseBodySource
    private let observation: RequestObservation
    private let index: Int
    private let progress = Locked<(bytes: Int, ended: Bool)>((0, false))

    init(inner: any ResponseBodySource, observation: RequestObservation, index: Int) {
        self.inner = inner
        self.observation = observation
        self.index = index
    }

    nonisolated(nonsending) func next() async throws -> ByteBuffer? {
        do {
            if let chunk = try await inner.next() {
                progress.withLock { $0.bytes += chunk.readableBytes }
                return chunk
            }
            end(completed: true, error: nil)
            return nil
        } catch {
            end(completed: false, error: HTTPClientError(mapping: error))
            throw error
        }
    }

    func cancel() {
        inner.cancel()
        end(completed: false, error: nil)
    }

    var trailers: HTTPFields? { inner.trailers }

    private func end(completed: Bool, error: HTTPClientError?) {
        let bytes = progress.withLock { progress -> Int? in
            guard !progress.ended else { return nil }
            progress.ended = true
            return progress.bytes
        }
        if let bytes { observation.bodyEnded(index: index, bytes: bytes, completed: completed, error: error) }
    }

    deinit { end(completed: false, error: nil) }
}
