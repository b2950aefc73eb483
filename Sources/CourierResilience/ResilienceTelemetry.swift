import Courier
import CourierCore
import CoreMetrics

/// Where resilience decisions are reported: swift-metrics counters (always; free when no metrics backend is
/// bootstrapped) and an optional observer closure that receives every `ResilienceEvent`.
///
/// Metrics (labels with the configured prefix, `courier_resilience` by default):
/// `_attempts_total`, `_retries_total{reason}`, `_retries_exhausted_total{reason}`,
/// `_retry_budget_exhausted_total`, `_circuit_transitions_total{from,to}`, `_circuit_rejections_total`,
/// `_rate_limiter_waits_total`, `_rate_limiter_wait_seconds` (timer), `_rate_limiter_rejections_total`,
/// `_rate_limit_adjustments_total`, `_concurrency_queued_total`, `_concurrency_wait_seconds` (timer),
/// `_concurrency_rejections_total`, `_concurrency_limit` (gauge), `_hedges_total`, `_hedge_wins_total`,
/// `_timeouts_total{scope}`.
///
/// Counters are created when the telemetry is; bootstrap the metrics backend before creating middleware.
public final class ResilienceTelemetry: Sendable {
    private let prefix: String
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory
    private let observer: (@Sendable (ResilienceEvent) -> Void)?

    private let attempts: Counter
    private let budgetExhausted: Counter
    private let circuitRejections: Counter
    private let rateLimiterWaits: Counter
    private let rateLimiterWaitTime: Timer
    private let rateLimiterRejections: Counter
    private let rateAdjustments: Counter
    private let concurrencyQueued: Counter
    private let concurrencyWaitTime: Timer
    private let concurrencyRejections: Counter
    private let concurrencyLimit: Gauge
    private let hedges: Counter
    private let hedgeWins: Counter
    private let attemptTimeouts: Counter
    private let totalTimeouts: Counter
    private let labelled: Locked<[String: Counter]>

    /// Telemetry labelled `prefix_…` with `dimensions` on every metric, created by `factory` (nil: the
    /// bootstrapped `MetricsSystem.factory`), and `observer` called synchronously with each event (keep it
    /// fast; it runs on the request's task).
    public init(metricsPrefix prefix: String = "courier_resilience", dimensions: [(String, String)] = [],
                factory: (any MetricsFactory)? = nil, observer: (@Sendable (ResilienceEvent) -> Void)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        self.prefix = prefix
        self.dimensions = dimensions
        self.factory = factory
        self.observer = observer
        func counter(_ name: String) -> Counter { Counter(label: "\(prefix)_\(name)", dimensions: dimensions, factory: factory) }
        attempts = counter("attempts_total")
        budgetExhausted = counter("retry_budget_exhausted_total")
        circuitRejections = counter("circuit_rejections_total")
        rateLimiterWaits = counter("rate_limiter_waits_total")
        rateLimiterWaitTime = Timer(label: "\(prefix)_rate_limiter_wait_seconds", dimensions: dimensions,
                                    preferredDisplayUnit: .seconds, factory: factory)
        rateLimiterRejections = counter("rate_limiter_rejections_total")
        rateAdjustments = counter("rate_limit_adjustments_total")
        concurrencyQueued = counter("concurrency_queued_total")
        concurrencyWaitTime = Timer(label: "\(prefix)_concurrency_wait_seconds", dimensions: dimensions,
                                    preferredDisplayUnit: .seconds, factory: factory)
        concurrencyRejections = counter("concurrency_rejections_total")
        concurrencyLimit = Gauge(label: "\(prefix)_concurrency_limit", dimensions: dimensions, factory: factory)
        hedges = counter("hedges_total")
        hedgeWins = counter("hedge_wins_total")
        attemptTimeouts = Counter(label: "\(prefix)_timeouts_total", dimensions: dimensions + [("scope", "attempt")], factory: factory)
        totalTimeouts = Counter(label: "\(prefix)_timeouts_total", dimensions: dimensions + [("scope", "total")], factory: factory)
        labelled = Locked([:])
    }

    /// The telemetry middleware uses unless given another: metrics through the bootstrapped backend, no
    /// observer.
    public static let standard = ResilienceTelemetry()

    /// Counts the decision and tells the observer.
    func record(_ kind: ResilienceEvent.Kind, key: ResilienceKey?, request: HTTPRequest?, time: Timestamp) {
        switch kind {
        case .attemptStarted: attempts.increment()
        case .retryScheduled(_, _, let reason): labelledCounter("retries_total", ("reason", reason.description)).increment()
        case .retriesExhausted(_, let reason):
            labelledCounter("retries_exhausted_total", ("reason", reason.rawValue)).increment()
        case .retryBudgetExhausted: budgetExhausted.increment()
        case .circuitStateChanged(let from, let to):
            labelledCounter("circuit_transitions_total", ("from", from.rawValue), ("to", to.rawValue)).increment()
        case .circuitRejected: circuitRejections.increment()
        case .rateLimiterWaited(let wait):
            rateLimiterWaits.increment()
            rateLimiterWaitTime.recordNanoseconds(wait.nanosecondsClamped)
        case .rateLimiterRejected: rateLimiterRejections.increment()
        case .rateLimitAdjusted: rateAdjustments.increment()
        case .concurrencyQueued: concurrencyQueued.increment()
        case .concurrencyWaited(let wait): concurrencyWaitTime.recordNanoseconds(wait.nanosecondsClamped)
        case .concurrencyRejected: concurrencyRejections.increment()
        case .concurrencyLimitChanged(let limit): concurrencyLimit.record(limit)
        case .hedgeStarted: hedges.increment()
        case .hedgeWon: hedgeWins.increment()
        case .timedOut(let scope, _): (scope == .attempt ? attemptTimeouts : totalTimeouts).increment()
        }
        if let observer { observer(ResilienceEvent(kind: kind, key: key, request: request, time: time)) }
    }

    /// Whether an observer wants events (to skip building costly ones).
    var hasObserver: Bool { observer != nil }

    private func labelledCounter(_ name: String, _ labels: (String, String)...) -> Counter {
        let id = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        return labelled.withLock { counters in
            if let counter = counters[id] { return counter }
            let counter = Counter(label: "\(prefix)_\(name)", dimensions: dimensions + labels, factory: factory)
            counters[id] = counter
            return counter
        }
    }
}
