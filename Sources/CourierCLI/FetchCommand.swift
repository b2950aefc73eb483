import Courier
import CourierCore
#if canImport(Glibc)
import Glibc
#endif
import CourierResilience

/// `courier [options] URL`: fetches one URL, curl style. The body goes to standard output or `-o FILE` as it
/// arrives; `--summary` adds one JSON line on standard error; the exit status says how it ended.
struct FetchCommand {
    /// The grammar and help of `courier [fetch] [options] URL`.
    static let syntax = CommandLineSyntax(
        name: "courier fetch",
        abstract: "Fetch a URL (the default command: `courier [options] URL`).",
        usage: "courier [fetch] [<options>] <url>",
        discussion: """
            Options follow curl's names. The body is written to standard output, or to -o FILE as it arrives \
            (FILE may be a pipe). A response of any HTTP status is a success unless --fail is given.

            --summary prints one JSON line on standard error after the transfer: status, protocol, headers, \
            bodyBytes, bodySha256, error (null or {code, message}), timings (totalMs, headMs, bodyMs, and dnsMs, \
            connectMs, tlsMs, firstByteMs counted from the start as curl's time_* values) and \
            attempts.

            --retry N retries transient failures (connection errors, timeouts, 408, 429, 500, 502, 503, 504) \
            of idempotent requests, or of any request with an Idempotency-Key field, up to N times, waiting as \
            the server's Retry-After asks or with exponential backoff and jitter from 500 ms.

            \(ExitStatus.helpTable)
            """,
        positionals: [.init(name: "url", help: "The http:// or https:// URL to fetch.")],
        optionGroups: [
            .init(title: "OPTIONS", options: [
                .value("request", short: "X", "method", "The request method."),
                .value("header", short: "H", "name: value",
                       "A request field (repeatable). \"Name:\" removes a default field, \"Name;\" sends it empty."),
                .value("user-agent", short: "A", "text", "The User-Agent field."),
                .value("data", short: "d", "data",
                       "Request body (POST unless -X): text, @file or @- (standard input), sent unchanged. Repeated pieces are joined with &."),
                .value("data-binary", "data", "Like -d: text, @file or @-, sent byte for byte."),
                .value("data-raw", "data", "Like -d, but a leading @ is sent as is."),
                .value("output", short: "o", "file",
                       "Write the body to this file (or pipe) instead of standard output; - is standard output."),
                .flag("include", short: "i", "Write the status line and response fields before the body."),
                .flag("head", short: "I", "Send HEAD and write the response head."),
                .flag("verbose", short: "v", "Show the request and response heads on standard error."),
                .flag("silent", short: "s", "No progress bar and no error message (the exit status remains)."),
                .flag("fail", short: "f", "Exit with status 15, writing nothing, when the HTTP status is 400 or more."),
                .value("max-time", "seconds", "Seconds allowed for the whole transfer, body included."),
                .value("max-filesize", "bytes", "The most body bytes accepted; a larger body fails with status 9."),
                .flag("summary", "After the transfer, print one line of JSON describing it on standard error."),
                .flag("location", short: "L", "Follow redirects (up to 10, or --max-redirs)."),
                .value("max-redirs", "count", "The most redirects -L follows."),
                .flag("compressed", "Ask for gzip or deflate and write the body decoded."),
                .value("retry", "N", "Retry transient failures up to N times (idempotent requests, or with an Idempotency-Key)."),
                .value("retry-delay", "seconds",
                       "Wait this many seconds between retries instead of the backoff (the server's Retry-After still wins)."),
                .value("retry-max-time", "seconds", "Start no retry later than this many seconds after the first attempt."),
                .value("proxy", short: "x", "url",
                       "Use this http:// proxy (user:password@ for Basic credentials; \"\" for none). By default, as curl, the proxy comes from http_proxy, https_proxy and no_proxy."),
                .value("noproxy", "hosts", "Hosts reached without the proxy (comma-separated, as no_proxy)."),
                .value("cookie", short: "b", "data|file",
                       "Send cookies: \"name=value; name2=value2\", or a Netscape cookie file to read (the cookie engine then also follows -L hops)."),
                .value("cookie-jar", short: "c", "file",
                       "After the transfer, write every cookie to this Netscape cookie file (- for standard output)."),
            ]),
            ConnectionOptions.group,
        ])

    let url: String
    let method: String?
    let headers: [String]
    let userAgent: String?
    let data: [String]
    let dataBinary: [String]
    let dataRaw: [String]
    let output: String?
    let include: Bool
    let headOnly: Bool
    let verbose: Bool
    let silent: Bool
    let fail: Bool
    let maxTime: Double?
    let maxFileSize: Int?
    let summary: Bool
    let connection: ConnectionOptions
    let followRedirects: Bool
    let maxRedirects: Int?
    let compressed: Bool
    let retry: Int?
    let retryDelay: Double?
    let retryMaxTime: Double?
    let proxy: String?
    let noProxy: String?
    let cookie: String?
    let cookieJar: String?

    /// Reads and checks the arguments `syntax` parsed.
    init(_ parsed: CommandLineSyntax.Parsed) throws(UsageError) {
        url = parsed.positionals[0]
        method = parsed.string("request")
        headers = parsed.strings("header")
        userAgent = parsed.string("user-agent")
        data = parsed.strings("data")
        dataBinary = parsed.strings("data-binary")
        dataRaw = parsed.strings("data-raw")
        output = parsed.string("output")
        include = parsed.flag("include")
        headOnly = parsed.flag("head")
        verbose = parsed.flag("verbose")
        silent = parsed.flag("silent")
        fail = parsed.flag("fail")
        maxTime = try parsed.double("max-time")
        maxFileSize = try parsed.int("max-filesize")
        summary = parsed.flag("summary")
        connection = try ConnectionOptions(parsed)
        followRedirects = parsed.flag("location")
        maxRedirects = try parsed.int("max-redirs")
        compressed = parsed.flag("compressed")
        retry = try parsed.int("retry")
        retryDelay = try parsed.double("retry-delay")
        retryMaxTime = try parsed.double("retry-max-time")
        proxy = parsed.string("proxy")
        noProxy = parsed.string("noproxy")
        cookie = parsed.string("cookie")
        cookieJar = parsed.string("cookie-jar")
        try validate()
    }

    private func validate() throws(UsageError) {
        if let maxTime { _ = try ConnectionOptions.duration(maxTime, option: "--max-time") }
        if let proxy, !proxy.isEmpty {
            do {
                _ = try HTTPClient.ProxyConfiguration.url(proxy)
            } catch {
                throw UsageError("-x/--proxy: \(error.message)")
            }
        }
        _ = try retryPolicy()
        if let maxRedirects, maxRedirects < 0 { throw UsageError("--max-redirs must not be negative") }
        if let maxFileSize, maxFileSize < 0 { throw UsageError("--max-filesize must not be negative") }
        if headOnly && !(data.isEmpty && dataBinary.isEmpty && dataRaw.isEmpty) {
            throw UsageError("-I sends HEAD, which has no body: drop -d/--data-binary/--data-raw")
        }
        if output == "" { throw UsageError("-o needs a file name (or - for standard output)") }
        let hasBody = !(data.isEmpty && dataBinary.isEmpty && dataRaw.isEmpty)
        _ = try RequestBuilder.head(url: url, method: method, headers: headers, userAgent: userAgent,
                                    hasBody: hasBody, headOnly: headOnly)
    }

    /// The policy `--retry`, `--retry-delay` and `--retry-max-time` ask for (nil: no retries). One request
    /// needs no budget: the count bounds it.
    func retryPolicy() throws(UsageError) -> RetryPolicy? {
        if retry == nil && (retryDelay != nil || retryMaxTime != nil) {
            throw UsageError("--retry-delay and --retry-max-time need --retry N")
        }
        guard let retry else { return nil }
        guard retry >= 0 else { throw UsageError("--retry must not be negative") }
        guard retry > 0 else { return nil }
        var policy = RetryPolicy(maximumAttempts: retry + 1)
        if let retryDelay {
            guard retryDelay.isFinite, retryDelay >= 0, retryDelay <= 86_400 else {
                throw UsageError("--retry-delay must be between 0 and 86400 seconds")
            }
            policy.backoff = .constant(.nanoseconds(Int64(retryDelay * 1e9)))
        }
        if let retryMaxTime { policy.maximumElapsedTime = try ConnectionOptions.duration(retryMaxTime, option: "--retry-max-time") }
        return policy
    }

    func run() async throws {
        let pieces = (data + dataBinary).map(RequestBuilder.Data.interpreted) + dataRaw.map(RequestBuilder.Data.raw)
        var head = try RequestBuilder.head(url: url, method: method, headers: headers, userAgent: userAgent,
                                           hasBody: !pieces.isEmpty, headOnly: headOnly)
        // Named in the head, as curl does, so that -v shows it.
        if compressed && head.headerFields[.acceptEncoding] == nil { head.headerFields[.acceptEncoding] = "gzip, deflate" }
        let body = try RequestBuilder.body(pieces)
        let timeout = try maxTime.map { (seconds) throws(UsageError) in
            try ConnectionOptions.duration(seconds, option: "--max-time")
        }
        let target: OutputSink.Target = output.map { $0 == "-" ? .standardOutput : .file($0) } ?? .standardOutput

        var configuration = HTTPClient.Configuration()
        connection.apply(to: &configuration)
        // As curl: bodies arrive as sent unless --compressed, and redirects are followed only with -L.
        configuration.decompression = compressed ? HTTPClient.Decompression() : .disabled
        configuration.redirects = followRedirects ? HTTPClient.RedirectPolicy() : .disabled
        if let maxRedirects { configuration.redirects.maximumRedirects = maxRedirects }
        if let proxy {
            configuration.proxy = proxy.isEmpty ? .none : try HTTPClient.ProxyConfiguration.url(proxy, noProxy: noProxy ?? "")
        } else {
            configuration.proxy = .environment
            if let noProxy { configuration.proxy.noProxy = NoProxyRules(noProxy) }
        }
        // As curl: -b with a "=" sends those cookies; otherwise it names a cookie file to load (a missing one
        // is no error). -b or -c turns the cookie engine on.
        let jar = cookie != nil || cookieJar != nil ? CookieJar() : nil
        configuration.cookieJar = jar
        if let cookie, let jar {
            if cookie.contains("=") {
                head.headerFields.append(HTTPField(name: .cookie, value: cookie))
            } else if access(cookie, F_OK) == 0 {
                _ = try jar.loadNetscapeCookieFile(atPath: cookie)
            }
        }
        let attempts = AttemptCounter()
        // Retries sit above the counter, so that each attempt is counted.
        configuration.middleware = try retryPolicy().map { [RetryMiddleware(policy: $0, budget: nil), attempts] } ?? [attempts]
        let listener = TransferListener(verbose: verbose)
        configuration.eventListener = listener
        let group = try EventLoopGroup(loopCount: 1, name: "courier")
        let client = HTTPClient(configuration: configuration, eventLoopGroup: group)

        var settings = Transfer.Settings()
        settings.includeHead = include || headOnly
        settings.verbose = verbose
        settings.failOnHTTPError = fail
        settings.hashBody = summary
        settings.showProgress = !silent && target != .standardOutput && StandardError.isTerminal
        settings.maximumBodyBytes = maxFileSize
        let transfer = Transfer(client: client, request: HTTPClientRequest(head: head, body: body, timeout: timeout),
                                output: target, settings: settings, attempts: attempts)
        // The transfer runs on the connection's loop, as curl runs on one thread: each body chunk reaches the
        // writer without a hand-off to another thread (a futex wake and a context switch per chunk when both
        // threads share the one CPU they are pinned to).
        var report = await withTaskExecutorPreference(group.loops[0]) { await transfer.run() }
        report.phases = listener.metrics
        await client.shutdown()
        await group.shutdown()
        if let cookieJar, let jar {
            if cookieJar == "-" {
                print(jar.netscapeCookies(), terminator: "")
            } else {
                do {
                    try jar.saveNetscapeCookieFile(atPath: cookieJar)
                } catch {
                    StandardError.write("courier: cannot write cookies to \(cookieJar): \(error.message)\n")
                }
            }
        }

        if let failure = report.failure, !silent {
            StandardError.write("courier: (\(failure.status.rawValue)) \(failure.code): \(failure.message)\n")
        }
        if summary { StandardError.write(report.summaryJSON + "\n") }
        if report.exitStatus != .success { throw report.exitStatus }
    }
}
