import Courier
#if canImport(Glibc)
import Glibc
#endif

/// The options that shape the client's connections, shared by `fetch` and `bench`: HTTP version, TLS trust
/// and the connect timeout.
struct ConnectionOptions {
    /// The options, as `fetch` and `bench` list them.
    static let group = CommandLineSyntax.OptionGroup(title: "CONNECTION OPTIONS", options: [
        .flag("http1.1", "Use HTTP/1.1 only (ALPN offers only http/1.1)."),
        .flag("http2", "Use HTTP/2 when the server agrees in ALPN, else HTTP/1.1 (the default; cleartext URLs use HTTP/1.1)."),
        .flag("http2-prior-knowledge", "Use HTTP/2 without negotiation (h2c on cleartext; only h2 in ALPN over TLS)."),
        .value("cacert", "file", "Trust only the CA certificates in this PEM file."),
        .flag("insecure", short: "k", "Do not verify the server's certificate (anyone on the path can read and change the traffic)."),
        .value("connect-timeout", "seconds", "Seconds allowed for connecting, TCP and the TLS handshake each (default 10)."),
    ])

    var http1 = false
    var http2 = false
    var http2PriorKnowledge = false
    var caCertificates: String?
    var insecure = false
    var connectTimeout: Double?

    /// Reads and checks the options in `parsed`.
    init(_ parsed: CommandLineSyntax.Parsed) throws(UsageError) {
        http1 = parsed.flag("http1.1")
        http2 = parsed.flag("http2")
        http2PriorKnowledge = parsed.flag("http2-prior-knowledge")
        caCertificates = parsed.string("cacert")
        insecure = parsed.flag("insecure")
        connectTimeout = try parsed.double("connect-timeout")
        try validate()
    }

    private func validate() throws(UsageError) {
        if [http1, http2, http2PriorKnowledge].filter({ $0 }).count > 1 {
            throw UsageError("--http1.1, --http2 and --http2-prior-knowledge exclude each other")
        }
        if let caCertificates, access(caCertificates, R_OK) != 0 {
            throw UsageError("--cacert: cannot read \(caCertificates)")
        }
        if insecure && caCertificates != nil {
            throw UsageError("--cacert has no effect with --insecure")
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
    static func duration(_ seconds: Double, option: String) throws(UsageError) -> Duration {
        guard seconds.isFinite, seconds > 0, seconds <= 1_000_000 else {
            throw UsageError("\(option) must be a positive number of seconds, not \(seconds)")
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
