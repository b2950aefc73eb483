import CourierCore
import CourierReactor
import HTTPTypes

/// One request/response exchange on a client connection (an HTTP/1.1 connection or an HTTP/2 stream), as the
/// request's task sees it: send the body, await the response head, read the body stream.
///
/// Loop-confined: the task that runs the exchange runs on the connection's loop (task executor preference),
/// so the driver's callbacks and the task's calls meet on one thread without locks; the waits are
/// continuations resumed on that thread. The body stream is the one part consumers may use from anywhere.
public final class ClientExchange: @unchecked Sendable {
    // Sendable proof: all stored `var`s are touched only on `loop` (each entry point asserts it); `body` is
    // itself Sendable.

    /// The loop of the connection carrying the exchange.
    public let loop: EventLoop
    /// The response body, streamed with backpressure.
    public let body: BodyStream
    /// The request's method (HEAD responses have no body).
    public let method: HTTPRequest.Method
    let driver: any ExchangeDriver

    private var head: Result<HTTPResponse, TransportError>?
    private var headWaiter: UnsafeContinuation<Result<HTTPResponse, TransportError>, Never>?
    private var writeWaiter: UnsafeContinuation<Result<Void, TransportError>, Never>?
    private var continueWaiter: UnsafeContinuation<Result<Bool, TransportError>, Never>?
    private var continueSignal: Bool?
    private var writerMayContinue = true
    /// The first failure; every later operation reports it.
    public private(set) var failure: TransportError?
    /// Whether any byte of the response arrived (an error before that may mean the request was never seen).
    public private(set) var responseStarted = false
    /// Whether the request was completely handed to the connection.
    public private(set) var requestSent = false
    /// Interim (1xx) responses seen, for observers.
    public private(set) var informationalResponses: [HTTPResponse] = []
    /// The driver's handle for the exchange (the HTTP/2 stream identifier).
    var streamToken: UInt32 = 0
    private var deadlineTimer: ScheduledTask?
    private var finished = false
    /// Whether the response ended successfully, body included. A server may answer before the request body
    /// was sent (an early error, say); the sender should stop then: further body bytes are discarded.
    public var isComplete: Bool { finished }

    init(loop: EventLoop, method: HTTPRequest.Method, driver: any ExchangeDriver, body: BodyStream) {
        self.loop = loop
        self.method = method
        self.driver = driver
        self.body = body
    }

    // MARK: - The request's side

    /// Sends a chunk of the request body, waiting while the connection (or HTTP/2 window) cannot take more.
    public nonisolated(nonsending) func writeBody(_ chunk: ByteBuffer) async throws(TransportError) {
        loop.assertInEventLoop()
        if let failure { throw failure }
        guard chunk.readableBytes > 0 else { return }
        let mayContinue: Bool
        do {
            mayContinue = try driver.exchange(self, sendBody: chunk)
        } catch {
            fail(error)
            throw error
        }
        if mayContinue { return }
        writerMayContinue = false
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Void, TransportError>, Never>) in
            if let failure {
                continuation.resume(returning: .failure(failure))
            } else if writerMayContinue {
                continuation.resume(returning: .success(()))
            } else {
                writeWaiter = continuation
            }
        }
        try result.get()
    }

    /// Ends the request body (with trailers where the protocol allows them).
    public func finishBody(trailers: HTTPFields? = nil) throws(TransportError) {
        loop.assertInEventLoop()
        if let failure { throw failure }
        do {
            try driver.exchange(self, endWithTrailers: trailers)
            requestSent = true
        } catch {
            fail(error)
            throw error
        }
    }

    /// Waits for `100 Continue` (true) or a final response (false, the body must not be sent), at most
    /// `timeout`; a server that says nothing in that time gets the body anyway (RFC 9110 §10.1.1).
    public nonisolated(nonsending) func waitForContinue(timeout: Duration) async throws(TransportError) -> Bool {
        loop.assertInEventLoop()
        if let failure { throw failure }
        if let continueSignal { return continueSignal }
        let timer = loop.scheduleLocal(at: SystemClock.now() + timeout) { [weak self] in self?.signalContinue(true) }
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Bool, TransportError>, Never>) in
            if let failure {
                continuation.resume(returning: .failure(failure))
            } else if let continueSignal {
                continuation.resume(returning: .success(continueSignal))
            } else {
                continueWaiter = continuation
            }
        }
        timer.cancel()
        return try result.get()
    }

    /// The final response head, once it arrives.
    public nonisolated(nonsending) func response() async throws(TransportError) -> HTTPResponse {
        loop.assertInEventLoop()
        if let head { return try head.get() }
        // The state is checked again inside: the continuation's closure may run after other loop work.
        let result = await withUnsafeContinuation { continuation in
            if let head { continuation.resume(returning: head) } else { headWaiter = continuation }
        }
        return try result.get()
    }

    /// Fails the exchange with `error` at `deadline` unless it finished before (response body included).
    public func armDeadline(_ deadline: Timestamp, error: TransportError) {
        loop.assertInEventLoop()
        guard !finished, failure == nil else { return }
        deadlineTimer?.cancel()
        deadlineTimer = loop.scheduleLocal(at: deadline) { [weak self] in
            self?.deadlineTimer = nil
            self?.cancel(error)
        }
    }

    /// Abandons the exchange: HTTP/2 resets the stream, HTTP/1.1 closes the connection.
    public func cancel(_ error: TransportError = TransportError(.cancelled, "the request was cancelled")) {
        loop.assertInEventLoop()
        guard failure == nil, !finished else { return }
        driver.exchange(self, cancelWith: error)
        fail(error)
    }

    // MARK: - The driver's side

    func markRequestSent() { requestSent = true }

    /// The response ended successfully (body included): drops the deadline.
    func completed() {
        finished = true
        deadlineTimer?.cancel()
        deadlineTimer = nil
        resumeWriter()
        signalContinue(false)
    }

    func receivedInformational(_ response: HTTPResponse) {
        responseStarted = true
        informationalResponses.append(response)
        if response.status.code == 100 { signalContinue(true) }
    }

    func receivedHead(_ response: HTTPResponse) {
        responseStarted = true
        signalContinue(false)
        guard head == nil else { return }
        head = .success(response)
        if let waiter = headWaiter {
            headWaiter = nil
            waiter.resume(returning: .success(response))
        }
    }

    /// The driver can take more body bytes.
    func resumeWriter() {
        writerMayContinue = true
        guard let waiter = writeWaiter else { return }
        writeWaiter = nil
        waiter.resume(returning: .success(()))
    }

    /// Fails everything still pending (head, writer, body) with `error`; the first failure wins.
    func fail(_ error: TransportError) {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        if failure == nil { failure = error }
        let error = failure!
        if head == nil {
            head = .failure(error)
            if let waiter = headWaiter {
                headWaiter = nil
                waiter.resume(returning: .failure(error))
            }
        }
        if let waiter = writeWaiter {
            writeWaiter = nil
            waiter.resume(returning: .failure(error))
        }
        if let waiter = continueWaiter {
            continueWaiter = nil
            waiter.resume(returning: .failure(error))
        }
        body.fail(error)
    }

    private func signalContinue(_ proceed: Bool) {
        guard continueSignal == nil else { return }
        continueSignal = proceed
        if let waiter = continueWaiter {
            continueWaiter = nil
            waiter.resume(returning: .success(proceed))
        }
    }
}

/// What a connection driver does for its exchanges (HTTP/1.1 connection or HTTP/2 connection).
protocol ExchangeDriver: AnyObject {
    /// Sends request body bytes; returns true if the caller may send more at once, false if it must wait
    /// for `resumeWriter()` (the bytes were taken either way).
    func exchange(_ exchange: ClientExchange, sendBody chunk: ByteBuffer) throws(TransportError) -> Bool
    /// Ends the request body.
    func exchange(_ exchange: ClientExchange, endWithTrailers trailers: HTTPFields?) throws(TransportError)
    /// The request's side gave up.
    func exchange(_ exchange: ClientExchange, cancelWith error: TransportError)
}
