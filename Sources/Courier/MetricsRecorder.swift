import Metrics
import CourierCore
import CourierTransport
import CourierPool

/// Reports a client's metrics to swift-metrics. Metric objects are made once (per origin for the pool
/// gauges), so recording costs the backend's own work only.
final class MetricsRecorder: Sendable {
    private let factory: any MetricsFactory
    private let prefix: String
    private let requestsByClass: [Counter]
    private let requestDuration: Timer
    private let bytesIn: Counter
    private let bytesOut: Counter
    private let connectDuration: Timer
    private let tlsDuration: Timer
    private let gauges = Locked<[Origin: OriginGauges]>([:])

    struct OriginGauges: Sendable {
        let open: Gauge
        let idle: Gauge
        let streams: Gauge
        let waiters: Gauge
        var sequence: UInt64 = 0
    }

    /// Nil when metrics are off or nobody bootstrapped a backend.
    init?(_ configuration: HTTPClient.Metrics) {
        guard configuration.isEnabled else { return nil }
        let factory = configuration.factory ?? MetricsSystem.factory
        guard configuration.factory != nil || !(factory is NOOPMetricsHandler) else { return nil }
        self.factory = factory
        let prefix = configuration.labelPrefix
        self.prefix = prefix
        requestsByClass = ["error", "1xx", "2xx", "3xx", "4xx", "5xx"].map {
            Counter(label: prefix + "requests_total", dimensions: [("status_class", $0)], factory: factory)
        }
        requestDuration = Timer(label: prefix + "request_duration", factory: factory)
        bytesIn = Counter(label: prefix + "response_body_bytes_total", factory: factory)
        bytesOut = Counter(label: prefix + "request_body_bytes_total", factory: factory)
        connectDuration = Timer(label: prefix + "connect_duration", factory: factory)
        tlsDuration = Timer(label: prefix + "tls_handshake_duration", factory: factory)
    }

    func requestFinished(status: Int?, duration: Duration, bytesIn received: Int, bytesOut sent: Int) {
        let index = status.map { min(max($0 / 100, 1), 5) } ?? 0
        requestsByClass[index].increment()
        requestDuration.recordNanoseconds(duration.nanosecondsClamped)
        if received > 0 { bytesIn.increment(by: received) }
        if sent > 0 { bytesOut.increment(by: sent) }
    }

    func connectionSetUp(_ metrics: ConnectionSetupMetrics) {
        if let start = metrics.connectStart, let end = metrics.connectEnd {
            connectDuration.recordNanoseconds((end - start).nanosecondsClamped)
        }
        if let start = metrics.tlsStart, let end = metrics.tlsEnd {
            tlsDuration.recordNanoseconds((end - start).nanosecondsClamped)
        }
    }

    func poolChanged(_ origin: Origin, sequence: UInt64, statistics: PoolStatistics) {
        let current = gauges.withLock { gauges -> OriginGauges? in
            if var existing = gauges[origin] {
                guard sequence > existing.sequence else { return nil }
                existing.sequence = sequence
                gauges[origin] = existing
                return existing
            }
            let dimensions = [("origin", origin.description)]
            let made = OriginGauges(
                open: Gauge(label: prefix + "connections_open", dimensions: dimensions, factory: factory),
                idle: Gauge(label: prefix + "connections_idle", dimensions: dimensions, factory: factory),
                streams: Gauge(label: prefix + "streams_in_flight", dimensions: dimensions, factory: factory),
                waiters: Gauge(label: prefix + "pool_waiters", dimensions: dimensions, factory: factory),
                sequence: sequence)
            gauges[origin] = made
            return made
        }
        guard let current else { return }
        current.open.record(statistics.connections)
        current.idle.record(statistics.idleHTTP1Connections)
        current.streams.record(statistics.busyHTTP1Connections + statistics.openStreams)
        current.waiters.record(statistics.waitingRequests)
    }
}
