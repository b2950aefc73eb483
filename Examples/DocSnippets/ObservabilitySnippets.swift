import Courier
import Logging
import CourierTracing
import Tracing

/// The snippets of Docs/observability.md, compiled (never run: they reach example hosts).
enum ObservabilitySnippets {
    /// observability.md, block 1.
    static func block1(client: HTTPClient) async throws {
        var logger = Logger(label: "inventory.http")
        logger.logLevel = .debug
        var configuration = HTTPClient.Configuration()
        configuration.logger = logger
    }

    /// observability.md, block 2.
    static func block2(client: HTTPClient) async throws {
        var measured = HTTPClient.Configuration()
        measured.metrics.labelPrefix = "inventory_http_"
        measured.metrics.isEnabled = true
    }

    /// observability.md, block 3.
    static func block3(client: HTTPClient) async throws {
        struct SlowRequestReporter: HTTPClientEventListener {
            let threshold: Duration

            func requestFinished(_ metrics: HTTPClientRequestMetrics) {
                guard metrics.duration > threshold, let last = metrics.finalTransaction else { return }
                print("slow: \(last.request.method) \(last.request.path ?? "/") took \(metrics.duration)",
                      "(connect \(metrics.timeConnect), TLS \(metrics.timeTLS), first byte \(metrics.timeFirstByte))")
            }

            func connectionAcquired(_ connection: HTTPClientConnectionInfo, requestID: UInt64) {
                if !connection.isReused { print("new \(connection.protocolVersion) connection to \(connection.origin)") }
            }
        }

        var listened = HTTPClient.Configuration()
        listened.eventListener = SlowRequestReporter(threshold: .milliseconds(500))
    }

    /// observability.md, block 4.
    static func block4(client: HTTPClient) async throws {

        // At start-up, once: InstrumentationSystem.bootstrap(yourOpenTelemetryTracer)
        var traced = HTTPClient.Configuration()
        traced.middleware = [TracingMiddleware()]
        let tracedClient = HTTPClient(configuration: traced)
        try await withSpan("sync-inventory") { _ in
            _ = try await tracedClient.get("https://api.example.com/items").body.collect(upTo: 1 << 20)
        }
    }
}
