import CourierCore
import Courier

/// Hears the client's events for one transfer: `-v` shows each connection and every hop's request head as
/// the client sends it (with the fields the client adds: cookies, `Accept-Encoding`), and `--summary` takes
/// the per-phase timings from the request's metrics.
final class TransferListener: HTTPClientEventListener {
    private let verbose: Bool
    private let state = Locked<(hop: HTTPRequest?, metrics: HTTPClientRequestMetrics?)>((nil, nil))

    init(verbose: Bool) { self.verbose = verbose }

    /// The finished request's metrics (nil until the client reported them).
    var metrics: HTTPClientRequestMetrics? { state.withLock { $0.metrics } }

    func hopStarted(_ request: HTTPRequest, requestID: UInt64) {
        state.withLock { $0.hop = request }
    }

    func connectionAcquired(_ connection: HTTPClientConnectionInfo, requestID: UInt64) {
        guard verbose else { return }
        let hop = state.withLock { $0.hop }
        StandardError.write(Self.describe(connection) + (hop.map(Transfer.describe) ?? ""))
    }

    func requestFinished(_ metrics: HTTPClientRequestMetrics) {
        state.withLock { $0.metrics = metrics }
    }

    /// `* Connected to 127.0.0.1:8443 (https://localhost:8443) over HTTP/2, TLSv1.3 TLS_AES_128_GCM_SHA256, ALPN h2`
    static func describe(_ connection: HTTPClientConnectionInfo) -> String {
        var line = "* \(connection.isReused ? "Reusing connection to" : "Connected to") "
        line += "\(connection.remoteAddress ?? connection.origin) (\(connection.origin))"
        if let proxy = connection.proxy { line += " through proxy \(proxy)" }
        line += " over \(connection.protocolVersion.rawValue)"
        if let version = connection.tlsVersion {
            line += ", \(version)" + (connection.tlsCipherSuite.map { " \($0)" } ?? "")
        }
        if let alpn = connection.applicationProtocol { line += ", ALPN \(alpn)" }
        return line + "\n"
    }
}
