import CourierCore
import Testing
@testable import Courier
import CourierTLS
import CourierTestSupport
import Logging
import Metrics

/// The event listener, debug logging and metrics.
@Suite struct ObservabilityTests {
    /// Records every event as a line, and the final metrics.
    final class Recorder: HTTPClientEventListener {
        let events = Locked<[String]>([])
        let finished = Locked<[HTTPClientRequestMetrics]>([])
        let connections = Locked<[HTTPClientConnectionInfo]>([])

        func requestStarted(_ request: HTTPRequest, requestID: UInt64) { add("start \(request.path ?? "")") }
        func hopStarted(_ request: HTTPRequest, requestID: UInt64) { add("hop \(request.path ?? "")") }
        func connectionAcquired(_ connection: HTTPClientConnectionInfo, requestID: UInt64) {
            connections.withLock { $0.append(connection) }
            add("connection \(connection.isReused ? "reused" : "new")")
        }
        func responseReceived(_ response: HTTPResponse, version: HTTPProtocolVersion?, requestID: UInt64) {
            add("response \(response.status.code)")
        }
        func redirectFollowed(_ redirect: HTTPClientResponse.Redirect, requestID: UInt64) { add("redirect \(redirect.to)") }
        func requestFinished(_ metrics: HTTPClientRequestMetrics) {
            finished.withLock { $0.append(metrics) }
            add("finished \(metrics.error.map { "\($0.code)" } ?? "ok")")
        }
        private func add(_ line: String) { events.withLock { $0.append(line) } }
        var lines: [String] { events.withLock { $0 } }
        var metrics: [HTTPClientRequestMetrics] { finished.withLock { $0 } }
    }

    @Test func eventsInOrderThroughRedirectsWithAMock() async throws {
        let mock = MockTransport()
        mock.route(.get, "/old") { _ in .redirect(to: "/new") }
        mock.route(.get, "/new") { _ in .text("hello") }
        let recorder = Recorder()
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        configuration.eventListener = recorder
        let client = HTTPClient(configuration: configuration)
        let response = try await withTimeout { try await client.get("http://api.test/old") }
        #expect(recorder.lines == ["start /old", "hop /old", "response 302", "redirect http://api.test/new", "hop /new",
                                   "response 200"])
        #expect(try await withTimeout { try await response.body.string(upTo: 100) } == "hello")
        #expect(recorder.lines.last == "finished ok")
        let metrics = try #require(recorder.metrics.first)
        #expect(metrics.transactions.count == 2)
        #expect(metrics.redirects.count == 1)
        #expect(metrics.bodyCompleted)
        #expect(metrics.transactions[1].responseBodyBytes == 5)
        #expect(metrics.transactions[0].response?.status.code == 302)
        for transaction in metrics.transactions {
            let start = transaction.fetchStart, head = try #require(transaction.responseStart), end = try #require(transaction.responseEnd)
            #expect(start <= head && head <= end && end <= metrics.duration)
        }
    }

    @Test func failuresAndAbandonedBodiesEndTheRequest() async throws {
        let mock = MockTransport()
        mock.route("/fail") { _ in throw HTTPClientError(.connectionClosed, "gone") }
        mock.route("/stream") { _ in
            HTTPClientResponse(head: HTTPResponse(status: .ok), body: .stream(ChunkedBytes(bytes: Array(repeating: 7, count: 1000), sizes: [100])))
        }
        let recorder = Recorder()
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        configuration.eventListener = recorder
        let client = HTTPClient(configuration: configuration)
        _ = try? await withTimeout { try await client.get("http://api.test/fail") }
        #expect(recorder.metrics.last?.error?.code == .connectionClosed)
        // A body dropped after one chunk: finished, not completed.
        try await withTimeout {
            let response = try await client.get("http://api.test/stream")
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
        }
        let abandoned = try #require(recorder.metrics.last)
        #expect(!abandoned.bodyCompleted)
        #expect(abandoned.transactions.last?.responseBodyBytes == 100)
        // A HEAD (no body) ends when the response is returned.
        _ = try await withTimeout { try await client.head("http://api.test/stream") }
        #expect(recorder.metrics.count == 3)
    }

    @Test(.enabled(if: NginxServer.isAvailable)) func connectionPhasesAgainstNginxOverTLS() async throws {
        let authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        let nginx = try NginxServer.start(certificatePEM: leaf.chainPEM, privateKeyPEM: leaf.privateKeyPEM)
        defer { nginx.stop() }
        let recorder = Recorder()
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = authority.trustRoots
        configuration.httpVersion = .http1Only
        configuration.eventListener = recorder
        let client = HTTPClient(configuration: configuration)
        for _ in 0..<2 {
            _ = try await withTimeout {
                try await client.get("https://localhost:\(nginx.httpsPort)/small").body.collect(upTo: 1 << 20)
            }
        }
        let metrics = recorder.metrics
        #expect(metrics.count == 2)
        let first = try #require(metrics.first?.finalTransaction)
        let connection = try #require(first.connection)
        #expect(!connection.isReused)
        #expect(connection.tlsVersion == "TLSv1.3" || connection.tlsVersion == "TLSv1.2")
        #expect(connection.applicationProtocol == "http/1.1")
        #expect(connection.peerCertificate?.names.contains("localhost") == true)
        #expect(connection.remoteAddress?.contains("\(nginx.httpsPort)") == true)
        let phases = [first.fetchStart, first.domainLookupStart, first.domainLookupEnd, first.connectStart, first.connectEnd,
                      first.tlsStart, first.tlsEnd, first.connectionAcquired, first.requestSent, first.responseStart,
                      first.responseEnd]
        let present = phases.compactMap { $0 }
        #expect(present.count == phases.count, "\(phases)")
        #expect(present == present.sorted(), "phases out of order: \(present)")
        #expect(metrics[0].timeTLS >= metrics[0].timeConnect && metrics[0].timeFirstByte >= metrics[0].timeTLS)
        let second = try #require(metrics.last?.finalTransaction)
        #expect(second.connection?.isReused == true)
        #expect(second.connection?.id == connection.id)
        #expect(second.domainLookupStart == nil && second.tlsStart == nil)
        #expect(metrics[1].timeNameLookup == .zero)
        await client.shutdown()
    }

    @Test func nobodyListeningMeansNoObservation() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.metrics.isEnabled = true  // with the no-op backend: still nothing
        configuration.logger.logLevel = .info
        let client = HTTPClient(configuration: configuration)
        #expect(!client.features.observes)
        #expect(client.features.makeObservation() == nil)
        #expect(!client.transport.collectsTimings)
        #expect(client.features.poolStatisticsObserver == nil)
    }

    @Test func debugLogsCarryTheRequestID() async throws {
        let sink = LogSink()
        var configuration = HTTPClient.Configuration()
        configuration.logger = Logger(label: "test") { _ in sink }
        configuration.logger.logLevel = .debug
        configuration.transport = .mock(MockTransport { _ in .text("ok") })
        let client = HTTPClient(configuration: configuration)
        _ = try await withTimeout { try await client.get("http://api.test/x").body.collect(upTo: 100) }
        _ = try await withTimeout { try await client.get("http://api.test/y").body.collect(upTo: 100) }
        let entries = sink.entries.withLock { $0 }
        #expect(entries.contains { $0.message.hasPrefix("request GET http://api.test/x") && $0.requestID == "1" })
        #expect(entries.contains { $0.message.hasPrefix("response 200") && $0.requestID == "2" })
        #expect(entries.contains { $0.message.hasPrefix("finished 200, 2 body bytes") })
        #expect(entries.allSatisfy { $0.level == .debug })
    }

    @Test(.enabled(if: NginxServer.isAvailable)) func metricsThroughABackend() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let backend = TestMetrics()
        var configuration = HTTPClient.Configuration()
        configuration.metrics.factory = backend
        let client = HTTPClient(configuration: configuration)
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        for path in ["/small", "/small", "/status/404"] {
            _ = try await withTimeout { try await client.get(base + path).body.collect(upTo: 1 << 20) }
        }
        _ = try? await withTimeout { try await client.post(base + "/small", body: .string("12345")).body.collect(upTo: 1 << 20) }
        try await withTimeout {
            while backend.value("courier_requests_total", ["status_class": "2xx"]) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(backend.value("courier_requests_total", ["status_class": "4xx"]) == 1)
        #expect(backend.value("courier_response_body_bytes_total") >= Int64(2 * NginxServer.smallBody.utf8.count))
        #expect(backend.value("courier_request_body_bytes_total") == 5)
        #expect(backend.recordings("courier_request_duration") == 4)
        #expect(backend.recordings("courier_connect_duration") >= 1)
        let origin = "http://127.0.0.1:\(nginx.httpPort)"
        #expect(backend.value("courier_connections_open", ["origin": origin]) >= 1)
        try await withTimeout {
            while backend.value("courier_connections_idle", ["origin": origin]) < 1 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(backend.value("courier_pool_waiters", ["origin": origin]) == 0)
        await client.shutdown()
    }
}

/// Captures log entries with their `courier.request` metadata.
final class LogSink: LogHandler, @unchecked Sendable {
    // Sendable proof: mutable state is in `entries` (a Mutex); metadata and level follow the LogHandler
    // value-semantics contract for a handler shared only within the test.
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let requestID: String?
    }
    let entries = Locked<[Entry]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let id = merged["courier.request"].map { "\($0)" }
        entries.withLock { $0.append(Entry(level: event.level, message: event.message.description, requestID: id)) }
    }
}

/// A swift-metrics backend keeping counters, gauges and timer recordings in memory.
final class TestMetrics: MetricsFactory, Sendable {
    private let values = Locked<[String: Int64]>([:])
    private let counts = Locked<[String: Int]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }).joined(separator: ",")
    }

    func value(_ label: String, _ dimensions: [String: String] = [:]) -> Int64 {
        values.withLock { $0[Self.key(label, dimensions.map { ($0.key, $0.value) })] ?? 0 }
    }

    func recordings(_ label: String) -> Int { counts.withLock { $0[Self.key(label, [])] ?? 0 } }

    final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let owner: TestMetrics
        init(key: String, owner: TestMetrics) { self.key = key; self.owner = owner }
        func increment(by amount: Int64) { owner.values.withLock { $0[key, default: 0] += amount } }
        func reset() { owner.values.withLock { $0[key] = 0 } }
        func record(_ value: Int64) {
            owner.values.withLock { $0[key] = value }
            owner.counts.withLock { $0[key, default: 0] += 1 }
        }
        func record(_ value: Double) { record(Int64(value)) }
        func recordNanoseconds(_ duration: Int64) { record(duration) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: Self.key(label, dimensions), owner: self)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: Self.key(label, dimensions), owner: self)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: Self.key(label, dimensions), owner: self)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
