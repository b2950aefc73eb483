import CourierCore
import CourierReactor
import CourierTransport
import CourierPool
#if canImport(Glibc)
import Glibc
#endif

/// One attempt of a request on one connection: start the exchange on the connection's loop, send the body,
/// await the head. Runs as the request's task with the loop as its executor, so every step between the task
/// and the connection driver is a plain call on one thread.
struct RequestExecution: Sendable {
    let request: HTTPRequest
    let body: HTTPClientRequestBody?
    let deadline: Timestamp?
    /// When the response head must have arrived (the exchange is cancelled then); the body is not bounded by it.
    let headDeadline: Timestamp?
    let expectContinueTimeout: Duration
    /// Hears when the request was sent (listeners, debug logs, metrics), if any.
    let observation: RequestObservation?

    nonisolated(nonsending) func run(on connection: any ClientConnection, pool: OriginPool) async throws(TransportError) -> HTTPClientResponse {
        let loop = connection.loop
        if loop.inEventLoop { return try await exchange(on: connection, pool: pool) }
        let result: Result<HTTPClientResponse, TransportError> = await withTaskExecutorPreference(loop) {
            do throws(TransportError) {
                return .success(try await exchange(on: connection, pool: pool))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private nonisolated(nonsending) func exchange(on connection: any ClientConnection, pool: OriginPool) async throws(TransportError) -> HTTPClientResponse {
        if Task.isCancelled {
            pool.releaseUnused(connection)
            throw TransportError(.cancelled, "the request was cancelled", requestNotProcessed: true)
        }
        var head = request
        // Read once: the getter parses the method from its pseudo-header field on every call.
        let method = request.method
        var expectContinue = false
        if head.headerFields.contains(named: .expect), let expect = head.headerFields[.expect] {
            head.headerFields[.expect] = nil
            expectContinue = expect.lowercased() == "100-continue" && body != nil
        }
        var length: RequestBodyLength
        var inline: ByteBuffer?
        switch body?.storage {
        case nil:
            length = method == .post || method == .put ? .known(0) : .none
        case .bytes(let buffer)?:
            length = .known(buffer.readableBytes)
            if !expectContinue { inline = buffer }
        case .file(_, let size, _)?:
            length = .known(size)
        case .stream(let size, _)?:
            length = size.map { .known($0) } ?? .unknown
        }
        if body?.trailers != nil {
            // Trailers follow the last chunk on HTTP/1.1; HTTP/2 keeps the length.
            inline = nil
            if connection.protocolVersion == .http1_1 { length = .unknown }
        }
        if case .known(0) = length, inline == nil, !expectContinue, body?.trailers == nil { inline = ByteBuffer(capacity: 0) }
        let exchange: ClientExchange
        do {
            exchange = try connection.startExchange(head, bodyLength: length, inlineBody: inline, expectContinue: expectContinue)
        } catch {
            if error.code == .invalidRequest { pool.releaseUnused(connection) }
            if error.requestNotProcessed {
                // The connection was closing: nothing was sent and the body was not touched, so any request
                // (a one-shot body stream included) may try another connection.
                throw TransportError(error.code, error.message, underlying: ExchangeNotStarted(cause: error.underlying),
                                     requestNotProcessed: true)
            }
            throw error
        }
        if let deadline {
            exchange.armDeadline(deadline, error: TransportError(.deadlineExceeded, "the request's deadline passed"))
        }
        let version = connection.protocolVersion
        let headTimer = headDeadline.map { headDeadline in
            exchange.loop.scheduleLocal(at: headDeadline) {
                exchange.cancel(TransportError(.readTimeout, "no response head arrived before the deadline",
                                               underlying: ResponseHeadDeadlinePassed()))
            }
        }
        defer { headTimer?.cancel() }
        return try await withTaskCancellationHandlerTyped { () async throws(TransportError) -> HTTPClientResponse in
            if inline == nil, let body {
                var send = true
                if expectContinue { send = try await exchange.waitForContinue(timeout: expectContinueTimeout) }
                if send && !exchange.isComplete {
                    try await sendBody(body, through: exchange)
                    try exchange.finishBody(trailers: await body.trailers?())
                }
            }
            observation?.requestSent()
            let response = try await exchange.response()
            let responseBody: HTTPClientResponse.Body =
                method == .head ? .empty : HTTPClientResponse.Body(stream: exchange.body)
            return HTTPClientResponse(head: response, version: version, body: responseBody)
        } onCancel: {
            let loop = exchange.loop
            loop.execute { exchange.cancel() }
        }
    }

    private nonisolated(nonsending) func sendBody(_ body: HTTPClientRequestBody, through exchange: ClientExchange) async throws(TransportError) {
        switch body.storage {
        case .bytes(let buffer):
            try await exchange.writeBody(buffer)
        case .file(let path, let size, let chunkSize):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let error = TransportError(.invalidRequest, "cannot open \(path) (errno \(errno))")
                exchange.cancel(error)
                throw error
            }
            defer { close(fd) }
            var remaining = size
            while remaining > 0 && !exchange.isComplete {
                var chunk = ByteBuffer(capacity: min(chunkSize, remaining))
                let count = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: min(chunkSize, remaining)) { region in
                    max(0, read(fd, region.baseAddress, min(region.count, remaining)))
                }
                guard count > 0 else {
                    let error = TransportError(.invalidRequest, "\(path) ended before its \(size) bytes were read")
                    exchange.cancel(error)
                    throw error
                }
                remaining -= count
                try await exchange.writeBody(chunk)
            }
        case .stream(_, let make):
            do {
                for try await chunk in make() {
                    if exchange.isComplete { break }
                    try await exchange.writeBody(chunk)
                }
            } catch let error as TransportError {
                throw error
            } catch {
                let failure = TransportError(.invalidRequest, "the request body sequence failed: \(error)")
                exchange.cancel(failure)
                throw failure
            }
        }
    }
}

/// Marks the error of an exchange its connection refused to start (closing, no stream available): nothing
/// of the request was sent or read.
struct ExchangeNotStarted: Error, Sendable, CustomStringConvertible {
    /// What the connection reported, if anything.
    let cause: (any Error & Sendable)?
    var description: String { "the connection took no new exchange" + (cause.map { ": \($0)" } ?? "") }
}

/// Marks the error of an exchange cancelled because its response head deadline passed.
struct ResponseHeadDeadlinePassed: Error, Sendable, CustomStringConvertible {
    var description: String { "the response head's deadline passed" }
}

/// `withTaskCancellationHandler` for an operation with a typed error.
nonisolated(nonsending) func withTaskCancellationHandlerTyped<T: Sendable>(
    _ operation: nonisolated(nonsending) () async throws(TransportError) -> T, onCancel: @Sendable () -> Void
) async throws(TransportError) -> T {
    let result: Result<T, TransportError> = await withTaskCancellationHandler {
        do throws(TransportError) {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    } onCancel: {
        onCancel()
    }
    switch consume result {
    case .success(let value): return value
    case .failure(let error): throw error
    }
}
