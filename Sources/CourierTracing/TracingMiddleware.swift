import Courier
import Instrumentation
import ServiceContextModule
import Tracing

/// Distributed tracing for Courier through swift-distributed-tracing: one client span per HTTP request (each
/// redirect hop gets its own), with the OpenTelemetry HTTP client semantic attributes, and the span's context
/// propagated in the request's header fields by the tracer's `inject` (a W3C Trace Context instrument writes
/// `traceparent` and `tracestate`).
///
/// Off unless installed: add it to `HTTPClient.Configuration.middleware`. Last in the list (innermost), every
/// attempt a retrying middleware above it makes gets its own span; first, one span covers them all. A client
/// without it pays nothing, and the core modules do not depend on swift-distributed-tracing.
///
/// Attributes: `http.request.method` (`_OTHER` plus `http.request.method_original` for unknown methods),
/// `url.full` (query values of signing parameters redacted), `server.address`, `server.port`,
/// `network.protocol.version` (`1.1`, `2`), `http.response.status_code`, and `error.type` (the status code
/// for 4xx/5xx answers, Courier's error code for failures). The span is named after the method (the
/// convention for clients, which do not know the route template) and ends when the response body has been
/// read to its end, failed, or was dropped (or at the response head, see `Configuration.spanCoversBody`).
public struct TracingMiddleware: HTTPClientMiddleware {
    /// What the middleware records and propagates.
    public struct Configuration: Sendable {
        /// The tracer (nil: `InstrumentationSystem.tracer`, the one the application bootstrapped).
        public var tracer: (any Tracer)?
        /// Whether the span's context is written into the request's header fields.
        public var injectsContext = true
        /// Whether the span lasts until the response body ends (true) or ends at the response head. Covering
        /// the body wraps it, which hides HTTP trailers from the caller.
        public var spanCoversBody = true
        /// Query parameters whose values `url.full` shows as `REDACTED` (OpenTelemetry's list by default).
        public var redactedQueryParameters: Set<String> = ["AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"]
        /// The span's name for a request (the method by default, as OpenTelemetry advises for clients).
        public var operationName: @Sendable (HTTPRequest) -> String = { $0.method.rawValue }

        /// Creates a configuration using `tracer` (nil: the bootstrapped one).
        public init(tracer: (any Tracer)? = nil) {
            self.tracer = tracer
        }
    }

    /// The configuration.
    public let configuration: Configuration

    /// Creates the middleware.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Creates the middleware with `tracer`.
    public init(tracer: any Tracer) {
        self.init(configuration: Configuration(tracer: tracer))
    }

    /// Runs the request inside a client span and propagates the span's context in its header fields.
    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let tracer = configuration.tracer ?? InstrumentationSystem.tracer
        return try await trace(request, next: next, tracer: tracer)
    }

    private func trace<T: Tracer>(_ request: HTTPClientRequest, next: HTTPClientNext, tracer: T)
        async throws(HTTPClientError) -> HTTPClientResponse
    {
        let span = tracer.startSpan(configuration.operationName(request.head), context: ServiceContext.current ?? .topLevel,
                                    ofKind: .client)
        var request = request
        if span.isRecording {
            span.attributes = HTTPSpanAttributes.request(request.head, redacting: configuration.redactedQueryParameters)
        }
        if configuration.injectsContext {
            tracer.inject(span.context, into: &request.head.headerFields, using: HTTPFieldsInjector())
        }
        let outcome: Result<HTTPClientResponse, HTTPClientError> = await ServiceContext.withValue(span.context) {
            do throws(HTTPClientError) { return .success(try await next(request)) } catch { return .failure(error) }
        }
        let response: HTTPClientResponse
        switch outcome {
        case .success(let answer):
            response = answer
        case .failure(let error):
            span.attributes["error.type"] = error.code.description
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: error.message))
            span.end()
            throw error
        }
        span.attributes["http.response.status_code"] = response.status.code
        span.attributes["network.protocol.version"] = response.version == .http2 ? "2" : "1.1"
        if response.status.code >= 400 {
            span.attributes["error.type"] = String(response.status.code)
            span.setStatus(SpanStatus(code: .error))
        }
        guard configuration.spanCoversBody else {
            span.end()
            return response
        }
        var traced = response
        traced.body = .stream(SpanEndingBody(body: response.body, ending: SpanEnding(span)))
        return traced
    }
}
