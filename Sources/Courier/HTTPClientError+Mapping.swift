import CourierTransport
import CourierReactor
import CourierTLS

extension HTTPClientError {
    /// Translates a lower layer's error (transport, reactor, TLS, cancellation) into the public error.
    init(mapping error: any Error) {
        switch error {
        case let error as HTTPClientError:
            self = error
        case let error as TransportError:
            self.init(transport: error)
        case is CancellationError:
            self.init(.cancelled, "the request was cancelled")
        case let error as ReactorError:
            self.init(transport: TransportError(error))
        case let error as TLSError:
            self.init(transport: TransportError(error))
        default:
            self.init(.connectionClosed, "\(error)")
        }
    }

    init(transport error: TransportError) {
        let code: Code
        switch error.code {
        case .connectFailed: code = .connectFailed
        case .resolutionFailed: code = .resolutionFailed
        case .connectTimeout: code = .connectTimeout
        case .tlsFailed: code = .tlsFailed
        case .tlsHandshakeTimeout: code = .tlsHandshakeTimeout
        case .protocolViolation: code = .protocolViolation
        case .streamReset, .streamRefused: code = .streamReset
        case .connectionClosed: code = .connectionClosed
        case .readTimeout: code = .readTimeout
        case .writeTimeout: code = .writeTimeout
        case .deadlineExceeded: code = .deadlineExceeded
        case .limitExceeded: code = .limitExceeded
        case .invalidRequest: code = .invalidRequest
        case .cancelled: code = .cancelled
        case .proxyFailed: code = .proxyFailed
        }
        self.init(code, error.message, underlying: error.underlying ?? error, isSafeToRetry: error.requestNotProcessed)
    }
}
