import CourierCore
import HTTPTypes

/// Everything the server saw, for tests to assert on: the requests received (with their bodies up to a
/// limit), connections accepted and open, requests per path, and protocol or handler errors. Thread-safe;
/// the `waitFor…` methods suspend until a condition holds (wrap them in a timeout).
public final class TestServerRecorder: Sendable {
    struct Waiter {
        let id: UInt64
        let condition: @Sendable (borrowing State) -> Bool
        let continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var entries: [RecordedRequest] = []
        var firstSequence = 1
        var nextSequence = 1
        var requestsPerPath: [String: Int] = [:]
        var receivedRequests = 0
        var connectionsAccepted = 0
        var openConnections = 0
        var tlsHandshakeFailures = 0
        var protocolErrors: [String] = []
        var handlerErrors: [String] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 1
    }

    private let state = Locked(State())
    /// The most recent requests kept (older ones are dropped from `requests`; counters keep counting).
    public let capacity: Int
    /// Body bytes kept per recorded request.
    public let bodyLimit: Int

    init(capacity: Int, bodyLimit: Int) {
        self.capacity = max(1, capacity)
        self.bodyLimit = max(0, bodyLimit)
    }

    // MARK: - Reading

    /// The requests received so far, oldest first (at most `capacity` of the most recent).
    public var requests: [RecordedRequest] {
        state.withLock { Array($0.entries.suffix(capacity)) }
    }

    /// The recorded requests whose path (without query) is `path`.
    public func requests(path: String) -> [RecordedRequest] {
        requests.filter { $0.path == path }
    }

    /// How many requests arrived in total (heads received).
    public var requestCount: Int { state.withLock { $0.receivedRequests } }

    /// How many requests arrived for `path` (without query).
    public func requestCount(path: String) -> Int { state.withLock { $0.requestsPerPath[path] ?? 0 } }

    /// Request counts per path.
    public var requestsPerPath: [String: Int] { state.withLock { $0.requestsPerPath } }

    /// Connections accepted so far (TCP level, before any TLS handshake).
    public var connectionsAccepted: Int { state.withLock { $0.connectionsAccepted } }

    /// Connections open now.
    public var openConnections: Int { state.withLock { $0.openConnections } }

    /// TLS handshakes that failed (the client rejected our certificate, timed out, spoke no TLS...).
    public var tlsHandshakeFailures: Int { state.withLock { $0.tlsHandshakeFailures } }

    /// Requests the server could not parse (each closed its connection), described.
    public var protocolErrors: [String] { state.withLock { $0.protocolErrors } }

    /// Handlers that threw, and responses that could not be sent as given, described.
    public var handlerErrors: [String] { state.withLock { $0.handlerErrors } }

    /// Forgets the recorded requests, counters and errors (open connections stay counted).
    public func reset() {
        state.withLock { state in
            state.entries = []
            state.firstSequence = state.nextSequence
            state.requestsPerPath = [:]
            state.receivedRequests = 0
            state.connectionsAccepted = 0
            state.tlsHandshakeFailures = 0
            state.protocolErrors = []
            state.handlerErrors = []
        }
    }

    // MARK: - Waiting

    /// Waits until `count` requests (for `path`, when given) have completely arrived; returns them.
    @discardableResult
    public func waitForRequests(count: Int, path: String? = nil) async throws -> [RecordedRequest] {
        try await wait { state in
            var complete = 0
            for entry in state.entries where entry.isComplete && (path == nil || entry.path == path) { complete += 1 }
            return complete >= count
        }
        return requests.filter { $0.isComplete && (path == nil || $0.path == path) }
    }

    /// Waits until at least `count` connections have been accepted.
    public func waitForConnections(count: Int) async throws {
        try await wait { $0.connectionsAccepted >= count }
    }

    /// Waits until exactly `count` connections are open (e.g. 0 after a client closed its pool).
    public func waitForOpenConnections(_ count: Int) async throws {
        try await wait { $0.openConnections == count }
    }

    private func wait(_ condition: @escaping @Sendable (borrowing State) -> Bool) async throws {
        let id = state.withLock { state -> UInt64 in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Bool in
                    if condition(state) { return true }
                    if Task.isCancelled { return true }
                    state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Applies `change` and wakes the waiters whose condition now holds.
    private func update<T>(_ change: (inout State) -> T) -> T {
        let (result, ready) = state.withLock { state -> (T, [Waiter]) in
            let result = change(&state)
            guard !state.waiters.isEmpty else { return (result, []) }
            var ready: [Waiter] = []
            var waiting: [Waiter] = []
            for waiter in state.waiters {
                if waiter.condition(state) { ready.append(waiter) } else { waiting.append(waiter) }
            }
            state.waiters = waiting
            return (result, ready)
        }
        for waiter in ready { waiter.continuation.resume() }
        return result
    }

    // MARK: - Recording (called by the connection drivers)

    func connectionOpened() {
        update { state in
            state.connectionsAccepted += 1
            state.openConnections += 1
        }
    }

    func connectionClosed() {
        update { $0.openConnections -= 1 }
    }

    func tlsHandshakeFailed() {
        update { $0.tlsHandshakeFailures += 1 }
    }

    func protocolError(_ description: String) {
        update { $0.protocolErrors.append(description) }
    }

    func handlerError(_ description: String) {
        update { $0.handlerErrors.append(description) }
    }

    /// Records a request head; returns its sequence number for the calls below.
    func begin(_ request: TestRequest, hasBody: Bool) -> Int {
        let path = request.path
        return update { state in
            let sequence = state.nextSequence
            state.nextSequence += 1
            state.receivedRequests += 1
            state.requestsPerPath[path, default: 0] += 1
            state.entries.append(RecordedRequest(
                sequenceNumber: sequence, method: request.method, target: request.target, scheme: request.scheme,
                authority: request.authority, headerFields: request.headerFields,
                protocolVersion: request.protocolVersion, httpVersion: request.httpVersion,
                connectionID: request.connectionID, requestNumberOnConnection: request.requestNumberOnConnection,
                streamID: request.streamID, receivedAt: SystemClock.now(), body: ByteBuffer(capacity: 0),
                bodyLength: 0, trailers: nil, isComplete: !hasBody, failure: nil, responseStatus: nil))
            // Drop the oldest in batches so recording stays O(1) per request on average.
            if state.entries.count >= 2 * capacity {
                let dropped = state.entries.count - capacity
                state.entries.removeFirst(dropped)
                state.firstSequence += dropped
            }
            return sequence
        }
    }

    private func withEntry(_ sequence: Int, in state: inout State, _ body: (inout RecordedRequest) -> Void) {
        let index = sequence - state.firstSequence
        guard index >= 0, index < state.entries.count else { return }
        body(&state.entries[index])
    }

    func appendBody(_ sequence: Int, _ bytes: ByteBuffer) {
        let limit = bodyLimit
        state.withLock { state in
            withEntry(sequence, in: &state) { entry in
                entry.bodyLength += bytes.readableBytes
                let room = limit - entry.body.readableBytes
                if room > 0 {
                    entry.body.writeBuffer(room >= bytes.readableBytes ? bytes : bytes.getSlice(at: bytes.readerIndex, length: room)!)
                }
            }
        }
    }

    func finish(_ sequence: Int, trailers: HTTPFields?, failure: String?) {
        update { state in
            withEntry(sequence, in: &state) { entry in
                guard !entry.isComplete && entry.failure == nil else { return }
                entry.trailers = trailers
                if let failure { entry.failure = failure } else { entry.isComplete = true }
            }
        }
    }

    func responded(_ sequence: Int, status: Int) {
        state.withLock { state in
            withEntry(sequence, in: &state) { $0.responseStatus = status }
        }
    }
}
