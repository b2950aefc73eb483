import Courier

/// The exit statuses of `courier`, one per failure category (in curl's spirit, with our own numbers). A
/// complete HTTP response is a success whatever its status code, unless `--fail` is given.
enum ExitStatus: Int32, CaseIterable, Sendable, Error {
    /// A complete response was received (any HTTP status).
    case success = 0
    /// A failure outside the categories below (cancelled, shut down, an internal error).
    case failure = 1
    /// Invalid usage: an unknown or malformed option, a bad URL, method or header, an unreadable input file.
    case usage = 2
    /// The host name did not resolve.
    case resolve = 3
    /// The connection was refused or the host was unreachable.
    case connect = 4
    /// TLS failed: the handshake, an untrusted or mismatched certificate, no agreement on ALPN.
    case tls = 5
    /// A timeout: connect, TLS handshake, server silence (read/write), or `--max-time`.
    case timeout = 6
    /// The server broke HTTP/1.1 or HTTP/2 rules, or reset the stream.
    case protocolError = 7
    /// The connection closed before the response was complete: no response, or a body cut short.
    case truncated = 8
    /// A limit was exceeded: response head size or field count, `--max-filesize`.
    case limitExceeded = 9
    /// Writing the output failed (disk full, closed pipe, cannot create the file).
    case output = 10
    /// Redirects failed: too many, a loop, or https to http.
    case redirect = 11
    /// The response body could not be decompressed.
    case decompression = 12
    /// The proxy refused or failed the tunnel.
    case proxy = 13
    /// A resilience policy refused the request (circuit open, rate or concurrency limit).
    case refusedByPolicy = 14
    /// `--fail` and the server answered with a status of 400 or more.
    case httpError = 15

    /// One line describing the status, for `--help` and the documentation.
    var meaning: String {
        switch self {
        case .success: "a complete response was received (any HTTP status unless --fail)"
        case .failure: "another failure (cancelled, internal error)"
        case .usage: "invalid usage: option, URL, method, header or unreadable input file"
        case .resolve: "the host name did not resolve"
        case .connect: "the connection was refused or the host is unreachable"
        case .tls: "TLS failed (handshake, untrusted or mismatched certificate, ALPN)"
        case .timeout: "a timeout (connect, TLS handshake, read, write, --max-time)"
        case .protocolError: "the server broke the protocol or reset the stream"
        case .truncated: "the connection closed before the response was complete (body cut short)"
        case .limitExceeded: "a limit was exceeded (response head size, --max-filesize)"
        case .output: "writing the output failed"
        case .redirect: "redirects failed (too many, loop, https to http)"
        case .decompression: "the body could not be decompressed"
        case .proxy: "the proxy failed"
        case .refusedByPolicy: "refused by a resilience policy (circuit open, rate or concurrency limit)"
        case .httpError: "--fail and the HTTP status is 400 or more"
        }
    }

    /// The table printed by `--help`.
    static var helpTable: String {
        "EXIT STATUS\n" + allCases.map { status in
            let number = String(status.rawValue)
            return "  " + String(repeating: " ", count: 3 - number.count) + number + "  " + status.meaning
        }.joined(separator: "\n")
    }

    /// The category of a client error.
    init(_ code: HTTPClientError.Code) {
        switch code {
        case .invalidRequest: self = .usage
        case .resolutionFailed: self = .resolve
        case .connectFailed: self = .connect
        case .tlsFailed: self = .tls
        case .connectTimeout, .tlsHandshakeTimeout, .poolAcquireTimeout, .readTimeout, .writeTimeout,
             .deadlineExceeded:
            self = .timeout
        case .protocolViolation, .streamReset: self = .protocolError
        case .connectionClosed: self = .truncated
        case .limitExceeded: self = .limitExceeded
        case .tooManyRedirects, .redirectLoop, .insecureRedirect: self = .redirect
        case .decompressionFailed: self = .decompression
        case .proxyFailed: self = .proxy
        case .circuitOpen, .rateLimited, .concurrencyLimited: self = .refusedByPolicy
        default: self = .failure
        }
    }
}

/// Why a transfer failed, as the summary reports it: a stable code (the client's error code, or one of the
/// CLI's own: `outputFailed`, `httpError`), a message, and the exit status it maps to.
struct TransferFailure: Error, Sendable {
    /// Stable machine-readable name, e.g. `connectTimeout`.
    let code: String
    /// What happened, for people.
    let message: String
    /// The exit status.
    let status: ExitStatus

    init(code: String, message: String, status: ExitStatus) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// A failure reported by the client.
    init(_ error: HTTPClientError) {
        var message = error.message
        let redundant = error.code.description + ": "
        if message.hasPrefix(redundant) { message.removeFirst(redundant.count) }
        if let underlying = error.underlying {
            // The lower layer's account, unless it only repeats the message.
            let detail = "\(underlying)"
            if !message.contains(detail) && !detail.contains(message) { message += " (\(detail))" }
        }
        self.init(code: error.code.description, message: message, status: ExitStatus(error.code))
    }

    /// A failure from iterating a body (always an `HTTPClientError` in practice).
    init(body error: any Error) {
        if let error = error as? HTTPClientError { self.init(error) } else {
            self.init(code: "connectionClosed", message: "\(error)", status: .truncated)
        }
    }
}
