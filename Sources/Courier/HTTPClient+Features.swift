import CourierTransport
import CourierPool
import Logging
import Synchronization

/// How a request flows through the client's features (Docs/features.md):
///
///     execute ─ redirects ─┬─ user middleware ─ cookies ─ decompression ─ transport (network or mock)
///                          └─ (again for every hop)
///
/// Redirects are outermost, so middleware (retries, breakers, limiters) and the per-hop features see every
/// hop as its own request, and the cookie jar sees every `Set-Cookie` along the way. Features switched off
/// cost a check each; observation (listener, debug logs, metrics) is made only when one of those is on.
extension HTTPClient {
    /// Runs `request` through every feature, the middleware chain and the transport.
    nonisolated(nonsending) func executeWithFeatures(_ request: consuming HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        if let contentType = request.body?.contentType, request.head.headerFields[.contentType] == nil {
            request.head.headerFields[.contentType] = contentType
        }
        guard let observation = features.makeObservation() else { return try await executeFollowingRedirects(consume request) }
        request.observation = observation
        observation.started(request.head)
        do {
            let response = try await executeFollowingRedirects(consume request)
            observation.finalResponseReturned()
            return response
        } catch {
            observation.failed(error)
            throw error
        }
    }

    private nonisolated(nonsending) func executeFollowingRedirects(_ request: consuming HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        if request.options.followRedirects ?? configuration.redirects.isEnabled {
            return try await RedirectFollower(policy: configuration.redirects).run(consume request) { (hop) async throws(HTTPClientError) in
                try await executeHop(hop)
            }
        }
        return try await executeHop(consume request)
    }

    /// The bottom of the middleware chain: the per-hop features around the transport.
    nonisolated(nonsending) func executeFeaturesAndTransport(_ request: consuming HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let decompress = request.options.decompressResponse ?? configuration.decompression.isEnabled
        if decompress { ContentDecoding.prepare(&request.head) }
        let jar = configuration.cookieJar
        jar?.addCookies(to: &request.head)
        request.observation?.hopStarted(request.head, bodyLength: request.body?.length)
        var response = try await bottom(request)
        jar?.store(from: response.head, for: request.head)
        if decompress {
            response = try ContentDecoding.decode(consume response, method: request.head.method,
                                                  configuration: configuration.decompression)
        }
        if let observation = request.observation { response = observation.responseReceived(response) }
        return response
    }
}

/// What the configuration's features need, prepared once when the client is created.
final class ClientFeatures: Sendable {
    /// The proxies, environment variables read.
    let proxy: HTTPClient.ProxyConfiguration
    let listener: (any HTTPClientEventListener)?
    let logger: Logger
    let debugLogging: Bool
    let metrics: MetricsRecorder?
    /// Whether any observer wants per-request events.
    let observes: Bool
    private let requestIDs = Atomic<UInt64>(0)

    init(configuration: HTTPClient.Configuration) {
        proxy = configuration.proxy.resolved()
        listener = configuration.eventListener
        logger = configuration.logger
        debugLogging = configuration.logger.logLevel <= .debug
        metrics = MetricsRecorder(configuration.metrics)
        observes = listener != nil || debugLogging || metrics != nil
    }

    /// A new request's observation, or nil when nobody observes (no clock read, no allocation).
    func makeObservation() -> RequestObservation? {
        guard observes else { return nil }
        let id = requestIDs.wrappingAdd(1, ordering: .relaxed).newValue
        var requestLogger: Logger?
        if debugLogging {
            var logger = self.logger
            logger[metadataKey: "courier.request"] = "\(id)"
            requestLogger = logger
        }
        return RequestObservation(id: id, listener: listener, logger: requestLogger, recorder: metrics)
    }

    /// Connection setup timings when someone observes; handshake metrics when metrics are on.
    func configure(_ factory: inout ClientConnectionFactory) {
        guard observes else { return }
        factory.collectsTimings = true
        if let metrics { factory.onConnectionSetup = { metrics.connectionSetUp($0) } }
    }

    /// The pools' occupancy for the metrics gauges.
    var poolStatisticsObserver: OriginPool.StatisticsObserver? {
        guard let metrics else { return nil }
        return { origin, sequence, statistics in metrics.poolChanged(origin, sequence: sequence, statistics: statistics) }
    }
}
