import Courier

/// `courier bench URL`: a load generator on the public API, like h2load: requests per second, throughput,
/// latency percentiles and errors, or one JSON line with `--json`.
struct BenchCommand {
    /// The grammar and help of `courier bench [options] URL`.
    static let syntax = CommandLineSyntax(
        name: "courier bench",
        abstract: "Load-test a URL through the client, like h2load.",
        usage: "courier bench [<options>] <url>",
        discussion: """
            Opens -c connections (each on its own one-connection client, spread over the event loops) and \
            runs -m concurrent streams on each over HTTP/2, one request at a time per connection over \
            HTTP/1.1 (no pipelining). Every response body is read to its end. A warm-up of --warm-up \
            requests per connection (at least one: it opens the connection and tells the protocol) is not \
            measured. Latency runs from sending a request to the end of its body.

            --json prints one line: {"requests":N,"errors":N,"seconds":S,"rps":R,"mbps":M,"latency_ms":{"p50":..,\
            "p90":..,"p99":..,"p999":..,"max":..,"mean":..},"protocol":..,"connections":C,"streams":M,\
            "bodyBytes":N,"status":{"1xx":..,...}} where requests counts complete responses (any status), \
            errors the failed requests, and mbps is body megabytes (10^6 bytes) per second.

            Exits 0 when every measured request completed, with the failure category's status (see \
            `courier fetch --help`) when none could be made, and 1 when some failed.
            """,
        positionals: [.init(name: "url", help: "The http:// or https:// URL to request.")],
        optionGroups: [
            .init(title: "OPTIONS", options: [
                .value("clients", short: "c", "count", "Connections (default 1)."),
                .value("max-concurrent-streams", short: "m", "count", "Concurrent streams per connection (HTTP/2; default 1)."),
                .value("requests", short: "n", "count", "Measured requests in all (default 1000, or unlimited with --duration)."),
                .value("duration", short: "D", "seconds", "Stop measuring after this many seconds."),
                .value("warm-up", "count", "Unmeasured requests per connection before measuring (at least 1, the default)."),
                .value("threads", short: "t", "count", "Event loops (threads); default: the CPUs this process may use."),
                .value("idle-poll", "microseconds", "How long a loop may poll for replies before it sleeps (default \(Int(EventLoop.defaultIdlePollLimit / .microseconds(1))); 0 sleeps at once)."),
                .value("header", short: "H", "name: value", "A request field (repeatable)."),
                .flag("json", "Print one line of JSON instead of the report."),
            ]),
            ConnectionOptions.group,
        ])

    let url: String
    let connections: Int
    let streams: Int
    let requests: Int?
    let duration: Double?
    let warmUp: Int
    let threads: Int?
    let idlePollMicroseconds: Int?
    let headers: [String]
    let json: Bool
    let connection: ConnectionOptions

    /// Reads and checks the arguments `syntax` parsed.
    init(_ parsed: CommandLineSyntax.Parsed) throws(UsageError) {
        url = parsed.positionals[0]
        connections = try parsed.int("clients") ?? 1
        streams = try parsed.int("max-concurrent-streams") ?? 1
        requests = try parsed.int("requests")
        duration = try parsed.double("duration")
        warmUp = try parsed.int("warm-up") ?? 1
        threads = try parsed.int("threads")
        idlePollMicroseconds = try parsed.int("idle-poll")
        headers = parsed.strings("header")
        json = parsed.flag("json")
        connection = try ConnectionOptions(parsed)
        try validate()
    }

    private func validate() throws(UsageError) {
        guard connections >= 1 else { throw UsageError("-c must be at least 1") }
        guard streams >= 1 else { throw UsageError("-m must be at least 1") }
        if let requests, requests < 1 { throw UsageError("-n must be at least 1") }
        if let duration { _ = try ConnectionOptions.duration(duration, option: "--duration") }
        guard warmUp >= 1 else { throw UsageError("--warm-up must be at least 1") }
        if let threads, threads < 1 || threads > 1024 { throw UsageError("-t must be between 1 and 1024") }
        if let idlePollMicroseconds, idlePollMicroseconds < 0 || idlePollMicroseconds > 10_000 {
            throw UsageError("--idle-poll must be between 0 and 10000 microseconds")
        }
        _ = try RequestBuilder.head(url: url, method: nil, headers: headers, userAgent: nil, hasBody: false, headOnly: false)
    }

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        connection.apply(to: &configuration)
        let plan = BenchRunner.Plan(
            request: try RequestBuilder.head(url: url, method: nil, headers: headers, userAgent: nil, hasBody: false,
                                             headOnly: false),
            connections: connections, streams: streams,
            requests: requests ?? (duration == nil ? 1000 : nil),
            duration: try duration.map { (seconds) throws(UsageError) in
                try ConnectionOptions.duration(seconds, option: "--duration")
            },
            warmUpRequests: warmUp, loops: threads ?? EventLoopGroup.defaultLoopCount,
            idlePollLimit: idlePollMicroseconds.map { .microseconds($0) } ?? EventLoop.defaultIdlePollLimit,
            configuration: configuration)
        let result: BenchResult
        do {
            result = try await BenchRunner(plan: plan).run()
        } catch {
            let failure = TransferFailure(error)
            StandardError.write("courier: (\(failure.status.rawValue)) \(failure.code): \(failure.message)\n")
            throw failure.status
        }
        print(json ? result.json : result.text)
        if result.statistics.errors > 0 {
            if !json { StandardError.write("courier: \(result.statistics.errors) requests failed\n") }
            throw ExitStatus.failure
        }
    }
}
