import Courier
import Histogram

/// What one bench worker measured: completed requests by status class, failures and body bytes; latencies go
/// to its loop's `LatencyRecorder`. Each worker owns one and the runner merges them at the end, so the hot loop
/// shares nothing but its loop's histogram.
struct BenchStatistics: Sendable {
    /// Latencies in microseconds, request start to the end of its body (3 significant digits): empty in a
    /// worker's figures, filled from the recorders in the merged result.
    var latency: Histogram<UInt32> {
        get { latencySamples ?? Histogram<UInt32>(numberOfSignificantValueDigits: .three) }
        set { latencySamples = newValue }
    }
    /// Created when the first samples arrive: a worker's figures (64 of them at `-c 64`) carry none, and an
    /// empty histogram still holds kilobytes of counters.
    private var latencySamples: Histogram<UInt32>?
    /// Where `record(status:bodyBytes:nanoseconds:)` puts the latency (nil: not kept, as in the warm-up).
    let recorder: LatencyRecorder?
    /// Requests that ended with a complete response, any status.
    var completed = 0
    /// Requests that failed (no response, or a body cut short).
    var errors = 0
    /// Response body bytes received.
    var bodyBytes = 0
    /// Completed requests per status class: index 1 for 1xx … 5 for 5xx (0 for anything else).
    var statusClasses = [Int](repeating: 0, count: 6)
    /// The first failure seen, to explain errors in the report.
    var firstError: HTTPClientError?
    /// Failures per error code.
    var errorCodes: [String: Int] = [:]

    init(recorder: LatencyRecorder? = nil) {
        self.recorder = recorder
    }

    /// Records a complete response.
    @inline(__always)
    mutating func record(status: Int, bodyBytes bytes: Int, nanoseconds: UInt64) {
        completed += 1
        bodyBytes += bytes
        let statusClass = status / 100
        statusClasses[statusClass >= 1 && statusClass <= 5 ? statusClass : 0] += 1
        recorder?.record(nanoseconds: nanoseconds)
    }

    /// Records a failure.
    mutating func record(error: HTTPClientError) {
        errors += 1
        if firstError == nil { firstError = error }
        errorCodes[error.code.description, default: 0] += 1
    }

    /// Adds another worker's figures.
    mutating func merge(_ other: BenchStatistics) {
        if let samples = other.latencySamples { latency.add(samples) }
        completed += other.completed
        errors += other.errors
        bodyBytes += other.bodyBytes
        for index in statusClasses.indices { statusClasses[index] += other.statusClasses[index] }
        if firstError == nil { firstError = other.firstError }
        errorCodes.merge(other.errorCodes, uniquingKeysWith: +)
    }

    /// A latency percentile in milliseconds (nil without samples).
    func latencyMilliseconds(percentile: Double) -> Double? {
        latency.totalCount == 0 ? nil : Double(latency.valueAtPercentile(percentile)) / 1000
    }
}

/// A finished bench run: the merged figures and how the run was shaped.
struct BenchResult: Sendable {
    var statistics: BenchStatistics
    /// Measured time, warm-up excluded.
    var seconds: Double
    var protocolVersion: HTTPProtocolVersion
    var connections: Int
    var streamsPerConnection: Int
    /// The `-m` asked for (it applies to HTTP/2 only).
    var requestedStreams: Int
    var loops: Int

    var requestsPerSecond: Double { seconds > 0 ? Double(statistics.completed) / seconds : 0 }
    /// Body throughput in megabytes (10^6 bytes) per second.
    var megabytesPerSecond: Double { seconds > 0 ? Double(statistics.bodyBytes) / seconds / 1e6 : 0 }

    /// One line of JSON (`bench --json`).
    var json: String {
        var json = JSONText()
        json.beginObject()
        json.integer("requests", statistics.completed)
        json.integer("errors", statistics.errors)
        json.number("seconds", seconds, decimals: 6)
        json.number("rps", requestsPerSecond, decimals: 1)
        json.number("mbps", megabytesPerSecond, decimals: 3)
        json.beginObject("latency_ms")
        for (name, percentile) in Self.percentiles {
            json.number(name, statistics.latencyMilliseconds(percentile: percentile))
        }
        json.number("max", statistics.latency.totalCount == 0 ? nil : Double(statistics.latency.max) / 1000)
        json.number("mean", statistics.latency.totalCount == 0 ? nil : statistics.latency.mean / 1000)
        json.endObject()
        json.string("protocol", protocolVersion.rawValue)
        json.integer("connections", connections)
        json.integer("streams", streamsPerConnection)
        json.integer("bodyBytes", statistics.bodyBytes)
        json.beginObject("status")
        for statusClass in 1...5 { json.integer("\(statusClass)xx", statistics.statusClasses[statusClass]) }
        json.endObject()
        json.endObject()
        return json.text
    }

    /// The human-readable report, in the spirit of h2load's.
    var text: String {
        let s = statistics
        var perConnection = streamsPerConnection == 1 ? "1 request at a time" : "\(streamsPerConnection) concurrent streams"
        if protocolVersion == .http1_1 && requestedStreams > 1 {
            perConnection += " (-m \(requestedStreams) applies to HTTP/2 only)"
        }
        var lines = [
            "\(protocolVersion.rawValue), \(connections) connection\(connections == 1 ? "" : "s") × \(perConnection), \(loops) event loop\(loops == 1 ? "" : "s")",
            "finished in \(JSONText.fixed(seconds, decimals: 3)) s: \(JSONText.fixed(requestsPerSecond, decimals: 1)) req/s, \(JSONText.fixed(megabytesPerSecond, decimals: 2)) MB/s",
            "requests: \(s.completed + s.errors) total, \(s.completed) completed, \(s.errors) errors",
            "status codes: \((1...5).map { "\(s.statusClasses[$0]) \($0)xx" }.joined(separator: ", "))",
        ]
        if s.latency.totalCount > 0 {
            let values = Self.percentiles.map { name, percentile in
                "\(name) \(JSONText.fixed(s.latencyMilliseconds(percentile: percentile) ?? 0, decimals: 3))"
            }
            lines.append("latency (ms): min \(JSONText.fixed(Double(s.latency.min) / 1000, decimals: 3))  "
                         + values.joined(separator: "  ")
                         + "  max \(JSONText.fixed(Double(s.latency.max) / 1000, decimals: 3))"
                         + "  mean \(JSONText.fixed(s.latency.mean / 1000, decimals: 3))")
        }
        if let error = s.firstError {
            let codes = s.errorCodes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("errors: \(codes); first: \(error)")
        }
        return lines.joined(separator: "\n")
    }

    static let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p999", 99.9)]
}
