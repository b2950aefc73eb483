import ArgumentParser
import Courier
import CourierCore
#if canImport(Glibc)
import Glibc
#endif
import CourierResilience

/// `courier [options] URL`: fetches one URL, curl style. The body goes to standard output or `-o FILE` as it
/// arrives; `--summary` adds one JSON line on standard error; the exit status says how it ended.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch a URL (the default command: `courier [options] URL`).",
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
            """)

    @Argument(help: "The http:// or https:// URL to fetch.")
    var url: String

    @Option(name: [.customShort("X"), .customLong("request")], help: ArgumentHelp("The request method.", valueName: "method"))
    var method: String?

    @Option(name: [.customShort("H"), .customLong("header")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A request field (repeatable). \"Name:\" removes a default field, \"Name;\" sends it empty.",
                               valueName: "name: value"))
    var headers: [String] = []

    @Option(name: [.customShort("A"), .customLong("user-agent")], parsing: .unconditional,
            help: ArgumentHelp("The User-Agent field.", valueName: "text"))
    var userAgent: String?

    @Option(name: [.customShort("d"), .customLong("data")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Request body (POST unless -X): text, @file or @- (standard input), sent unchanged. Repeated pieces are joined with &.",
                               valueName: "data"))
    var data: [String] = []

    @Option(name: .customLong("data-binary"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Like -d: text, @file or @-, sent byte for byte.", valueName: "data"))
    var dataBinary: [String] = []

    @Option(name: .customLong("data-raw"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Like -d, but a leading @ is sent as is.", valueName: "data"))
    var dataRaw: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], parsing: .unconditional,
            help: ArgumentHelp("Write the body to this file (or pipe) instead of standard output; - is standard output.",
                               valueName: "file"))
    var output: String?

    @Flag(name: [.customShort("i"), .customLong("include")], help: "Write the status line and response fields before the body.")
    var include = false

    @Flag(name: [.customShort("I"), .customLong("head")], help: "Send HEAD and write the response head.")
    var headOnly = false

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Show the request and response heads on standard error.")
    var verbose = false

    @Flag(name: [.customShort("s"), .customLong("silent")], help: "No progress bar and no error message (the exit status remains).")
    var silent = false

    @Flag(name: [.customShort("f"), .customLong("fail")], help: "Exit with status 15, writing nothing, when the HTTP status is 400 or more.")
    var fail = false

    @Option(name: .customLong("max-time"),
            help: ArgumentHelp("Seconds allowed for the whole transfer, body included.", valueName: "seconds"))
    var maxTime: Double?

    @Option(name: .customLong("max-filesize"),
            help: ArgumentHelp("The most body bytes accepted; a larger body fails with status 9.", valueName: "bytes"))
    var maxFileSize: Int?

    @Flag(name: .customLong("summary"), help: "After the transfer, print one line of JSON describing it on standard error.")
    var summary = false

    @OptionGroup(title: "Connection options")
    var connection: ConnectionOptions

    @Flag(name: [.customShort("L"), .customLong("location")], help: "Follow redirects (up to 10, or --max-redirs).")
    var followRedirects = false

    @Option(name: .customLong("max-redirs"), help: "The most redirects -L follows.")
    var maxRedirects: Int?

    @Flag(name: .customLong("compressed"), help: "Ask for gzip or deflate and write the body decoded.")
    var compressed = false

    @Option(name: .customLong("retry"),
            help: ArgumentHelp("Retry transient failures up to N times (idempotent requests, or with an Idempotency-Key).",
                               valueName: "N"))
    var retry: Int?

    @Option(name: .customLong("retry-delay"),
            help: ArgumentHelp("Wait this many seconds between retries instead of the backoff (the server's Retry-After still wins).",
                               valueName: "seconds"))
    var retryDelay: Double?

    @Option(name: .customLong("retry-max-time"),
            help: ArgumentHelp("Start no retry later than this many seconds after the first attempt.", valueName: "seconds"))
    var retryMaxTime: Double?

    @Option(name: [.customShort("x"), .customLong("proxy")],
            help: "Use this http:// proxy (user:password@ for Basic credentials; \"\" for none). By default, as curl, the proxy comes from http_proxy, https_proxy and no_proxy.")
    var proxy: String?

    @Option(name: .customLong("noproxy"), help: "Hosts reached without the proxy (comma-separated, as no_proxy).")
    var noProxy: String?

    @Option(name: [.customShort("b"), .customLong("cookie")],
            help: "Send cookies: \"name=value; name2=value2\", or a Netscape cookie file to read (the cookie engine then also follows -L hops).")
    var cookie: String?

    @Option(name: [.customShort("c"), .customLong("cookie-jar")], help: "After the transfer, write every cookie to this Netscape cookie file (- for standard output).")
    var cookieJar: String?

    func validate() throws {
        if let maxTime { _ = try ConnectionOptions.duration(maxTime, option: "--max-time") }
        if let proxy, !proxy.isEmpty {
            do {
                _ = try HTTPClient.ProxyConfiguration.url(proxy)
            } catch {
                throw ValidationError("-x/--proxy: \(error.message)")
            }
        }
        _ = try retryPolicy()
        if let maxRedirects, maxRedirects < 0 { throw ValidationError("--max-redirs must not be negative") }
        if let maxFileSize, maxFileSize < 0 { throw ValidationError("--max-filesize must not be negative") }
        if headOnly && !(data.isEmpty && dataBinary.isEmpty && dataRaw.isEmpty) {
            throw ValidationError("-I sends HEAD, which has no body: drop -d/--data-binary/--data-raw")
        }
        if output == "" { throw ValidationError("-o needs a file name (or - for standard output)") }
        let hasBody = !(data.isEmpty && dataBinary.isEmpty && dataRaw.isEmpty)
        _ = try RequestBuilder.head(url: url, method: method, headers: headers, userAgent: userAgent,
                                    hasBody: hasBody, headOnly: headOnly)
    }

    /// The policy `--retry`, `--retry-delay` and `--retry-max-time` ask for (nil: no retries). One request
    /// needs no budget: the count bounds it.
    func retryPolicy() throws(ValidationError) -> RetryPolicy? {
        if retry == nil && (retryDelay != nil || retryMaxTime != nil) {
            throw ValidationError("--retry-delay and --retry-max-time need --retry N")
        }
        guard let retry else { return nil }
        guard retry >= 0 else { throw ValidationError("--retry must not be negative") }
        guard retry > 0 else { return nil }
        var policy = RetryPolicy(maximumAttempts: retry + 1)
        if let retryDelay {
            guard retryDelay.isFinite, retryDelay >= 0, retryDelay <= 86_400 else {
                throw ValidationError("--retry-delay must be between 0 and 86400 seconds")
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
        let timeout = try maxTime.map { (seconds) throws(ValidationError) in
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
        if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
    }
}
