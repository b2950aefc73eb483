import Metrics

extension HTTPClient {
    /// swift-metrics reporting. On by default but free until the application bootstraps a metrics backend
    /// (`MetricsSystem.bootstrap`): with the no-op backend the client measures nothing.
    ///
    /// Metrics (labels start with `labelPrefix`):
    /// - `courier_requests_total` counter, dimension `status_class` (`1xx`…`5xx`, `error`);
    /// - `courier_request_duration` timer: entering the client to the end of the final body;
    /// - `courier_response_body_bytes_total` / `courier_request_body_bytes_total` counters (bytes in and out);
    /// - `courier_connect_duration`, `courier_tls_handshake_duration` timers, per new connection;
    /// - gauges per origin (dimension `origin`): `courier_connections_open`, `courier_connections_idle`,
    ///   `courier_streams_in_flight`, `courier_pool_waiters`.
    public struct Metrics: Sendable {
        /// Whether to report metrics.
        public var isEnabled = true
        /// The backend (nil: `MetricsSystem.factory`, the bootstrapped one).
        public var factory: (any MetricsFactory)? = nil
        /// Put before every label.
        public var labelPrefix = "courier_"

        /// The defaults.
        public init() {}
    }
}
