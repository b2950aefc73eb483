import ArgumentParser
import Courier
#if canImport(Glibc)
import Glibc
#endif

/// The options that shape the client's connections, shared by `fetch` and `bench`: HTTP version, TLS trust
/// and the connect timeout.
struct ConnectionOptions: ParsableArguments {
    @Flag(name: .customLong("http1.1"), help: "Use HTTP/1.1 only (ALPN offers only http/1.1).")
    var http1 = false

    @Flag(name: .customLong("http2"),
          help: "Use HTTP/2 when the server agrees in ALPN, else HTTP/1.1 (the default; cleartext URLs use HTTP/1.1).")
    var http2 = false

    @Flag(name: .customLong("http2-prior-knowledge"),
          help: "Use HTTP/2 without negotiation (h2c on cleartext; only h2 in ALPN over TLS).")
    var http2PriorKnowledge = false

    @Option(name: .customLong("cacert"), help: ArgumentHelp("Trust only the CA certificates in this PEM file.", valueName: "file"))
    var caCertificates: String?

    @Flag(name: [.customShort("k"), .customLong("insecure")],
          help: "Do not verify the server's certificate (anyone on the path can read and change the traffic).")
    var insecure = false

    @Option(name: .customLong("connect-timeout"),
            help: ArgumentHelp("Seconds allowed for connecting, TCP and the TLS handshake each (default 10).", valueName: "seconds"))
    var connectTimeout: Double?

    func validate() throws {
        if [http1, http2, http2PriorKnowledge].filter({ $0 }).count > 1 {
            throw ValidationError("--http1.1, --http2 and --http2-prior-knowledge exclude each other")
        }
        if let caCertificates, access(caCertificates, R_OK) != 0 {
            throw ValidationError("--cacert: cannot read \(caCertificates)")
        }
        if insecure && caCertificates != nil {
            throw ValidationError("--cacert has no effect with --insecure")
        }
        if let connectTimeout { _ = try Self.duration(connectTimeout, option: "--connect-timeout") }
    }

    /// The HTTP version policy the flags select.
    var versionPolicy: HTTPVersionPolicy {
        if http1 { return .http1Only }
        if http2PriorKnowledge { return .http2PriorKnowledge }
        return .automatic
    }

    /// Applies the options to a client configuration.
    func apply(to configuration: inout HTTPClient.Configuration) {
        configuration.httpVersion = versionPolicy
        if let caCertificates { configuration.tls.trustRoots = .custom(.file(caCertificates)) }
        if insecure { configuration.tls.verification = .insecureNoVerification }
        if let connectTimeout, let duration = try? Self.duration(connectTimeout, option: "--connect-timeout") {
            configuration.timeouts.connect = duration
            configuration.timeouts.tlsHandshake = duration
        }
    }

    /// A positive number of seconds (fractions allowed, as curl does) as a `Duration`.
    static func duration(_ seconds: Double, option: String) throws(ValidationError) -> Duration {
        guard seconds.isFinite, seconds > 0, seconds <= 1_000_000 else {
            throw ValidationError("\(option) must be a positive number of seconds, not \(seconds)")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
