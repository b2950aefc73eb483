import CourierCore
import CoreMetrics

/// An in-memory swift-metrics backend: counter totals by label and dimensions.
final class TestMetrics: MetricsFactory, Sendable {
    private let values = Locked<[String: Int64]>([:])

    /// The total of the counter `label` with `dimensions` (in any order), or 0.
    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        values.withLock { $0[Self.id(label, dimensions)] ?? 0 }
    }

    /// The totals of every counter whose label is `label`, whatever its dimensions.
    func counters(_ label: String) -> [String: Int64] {
        values.withLock { $0.filter { $0.key.hasPrefix(label + "{") || $0.key == label } }
    }

    static func id(_ label: String, _ dimensions: [(String, String)]) -> String {
        guard !dimensions.isEmpty else { return label }
        return label + "{" + dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    func add(_ id: String, _ amount: Int64) { values.withLock { $0[id, default: 0] += amount } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(metrics: self, id: Self.id(label, dimensions))
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        NOOPMetricsHandler.instance
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { NOOPMetricsHandler.instance }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        TimerCounter(metrics: self, id: Self.id(label, dimensions))
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, Sendable {
        let metrics: TestMetrics
        let id: String
        init(metrics: TestMetrics, id: String) { self.metrics = metrics; self.id = id }
        func increment(by amount: Int64) { metrics.add(id, amount) }
        func reset() {}
    }

    /// Counts recordings of a timer (as `<label>{…}` with a `count` suffix).
    private final class TimerCounter: TimerHandler, Sendable {
        let metrics: TestMetrics
        let id: String
        init(metrics: TestMetrics, id: String) { self.metrics = metrics; self.id = id }
        func recordNanoseconds(_ duration: Int64) { metrics.add(id + ".count", 1) }
    }
}
