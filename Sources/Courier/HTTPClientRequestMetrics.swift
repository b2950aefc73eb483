/// What happened during one request, for listeners and tools (`courier --summary`, `-v`). Times are offsets
/// from the moment the request entered the client; a connection's setup phases can be negative when the
/// connection began opening before this request (for an earlier one).
public struct HTTPClientRequestMetrics: Sendable {
    /// The request's identifier (also in log metadata as `courier.request`).
    public var requestID: UInt64
    /// One entry per hop (the first request and each redirect followed), in order.
    public var transactions: [HTTPClientTransactionMetrics]
    /// The redirects followed.
    public var redirects: [HTTPClientResponse.Redirect]
    /// From entering the client to the end of the final body (or the failure).
    public var duration: Duration
    /// Why the request or its body failed, if it did.
    public var error: HTTPClientError?
    /// Whether the final body was read to its end (false when it was abandoned or failed).
    public var bodyCompleted: Bool

    /// The final hop.
    public var finalTransaction: HTTPClientTransactionMetrics? { transactions.last }

    /// curl's `time_namelookup`: until the final hop's name resolution ended (zero on a reused connection).
    public var timeNameLookup: Duration { finalTransaction.map { $0.domainLookupEnd.map { max($0, .zero) } ?? .zero } ?? .zero }
    /// curl's `time_connect`: until TCP connected.
    public var timeConnect: Duration { finalTransaction.map { $0.connectEnd.map { max($0, .zero) } ?? timeNameLookup } ?? .zero }
    /// curl's `time_appconnect`: until TLS completed (zero without TLS).
    public var timeTLS: Duration { finalTransaction?.tlsEnd.map { max($0, .zero) } ?? .zero }
    /// curl's `time_pretransfer`: until the connection was ready for the request.
    public var timePreTransfer: Duration { finalTransaction?.connectionAcquired ?? finalTransaction?.fetchStart ?? .zero }
    /// curl's `time_starttransfer`: until the final response's head arrived.
    public var timeFirstByte: Duration { finalTransaction?.responseStart ?? duration }
    /// curl's `time_redirect`: until the final hop started (zero without redirects).
    public var timeRedirect: Duration { redirects.isEmpty ? .zero : (finalTransaction?.fetchStart ?? .zero) }
    /// Body bytes delivered over all hops (after decompression).
    public var responseBodyBytes: Int { transactions.reduce(0) { $0 + $1.responseBodyBytes } }
}

/// One hop of a request: its request and response, its connection, and when each phase happened (offsets
/// from the request's start; nil for phases that did not happen, such as DNS on a reused connection).
public struct HTTPClientTransactionMetrics: Sendable {
    /// The request as handed to the transport.
    public var request: HTTPRequest
    /// The response head, once it arrived.
    public var response: HTTPResponse?
    /// The protocol the response came over.
    public var protocolVersion: HTTPProtocolVersion?
    /// The connection used (nil with a mock transport).
    public var connection: HTTPClientConnectionInfo?
    /// The hop began (before waiting for a connection).
    public var fetchStart: Duration
    /// Name resolution began (a new connection only).
    public var domainLookupStart: Duration?
    /// Name resolution ended (a new connection only).
    public var domainLookupEnd: Duration?
    /// TCP connect began (a new connection only).
    public var connectStart: Duration?
    /// TCP connect ended (a new connection only).
    public var connectEnd: Duration?
    /// The proxy's `CONNECT` began (a new tunnelled connection only).
    public var proxyTunnelStart: Duration?
    /// The proxy's `CONNECT` ended (a new tunnelled connection only).
    public var proxyTunnelEnd: Duration?
    /// The TLS handshake began (a new TLS connection only).
    public var tlsStart: Duration?
    /// The TLS handshake ended (a new TLS connection only).
    public var tlsEnd: Duration?
    /// The pool handed over the connection.
    public var connectionAcquired: Duration?
    /// The request (head and body) was handed to the connection.
    public var requestSent: Duration?
    /// The response head arrived.
    public var responseStart: Duration?
    /// The response body ended (or was abandoned, or failed).
    public var responseEnd: Duration?
    /// Request body bytes, when known.
    public var requestBodyBytes: Int?
    /// Response body bytes delivered (after decompression).
    public var responseBodyBytes = 0
}

/// The connection a hop used.
public struct HTTPClientConnectionInfo: Sendable {
    /// The connection's identifier (stable while it lives; reuse shows as the same id).
    public var id: UInt64
    /// HTTP/1.1 or HTTP/2.
    public var protocolVersion: HTTPProtocolVersion
    /// Whether an earlier request already used it (no setup phases then).
    public var isReused: Bool
    /// The origin (and proxy) it serves.
    public var origin: String
    /// The forward proxy it goes through, as `host:port`.
    public var proxy: String?
    /// The address connected to (the proxy's when there is one); known for new connections.
    public var remoteAddress: String?
    /// The negotiated TLS version (`TLSv1.3`); known for new TLS connections.
    public var tlsVersion: String?
    /// The negotiated cipher suite; known for new TLS connections.
    public var tlsCipherSuite: String?
    /// The protocol ALPN chose (`h2`, `http/1.1`); known for new TLS connections.
    public var applicationProtocol: String?
    /// Whether the TLS session was resumed (no full handshake); known for new TLS connections.
    public var tlsSessionReused: Bool?
    /// The server's certificate; known for new TLS connections.
    public var peerCertificate: TLSCertificateInfo?
}
