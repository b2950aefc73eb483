import ArgumentParser
import Courier

/// `courier bench URL`: a load generator on the public API, like h2load: requests per second, throughput,
/// latency percentiles and errors, or one JSON line with `--json`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test a URL through the client, like h2load.",
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
            """)

    @Argument(help: "The http:// or https:// URL to request.")
    var url: String

    @Option(name: [.customShort("c"), .customLong("clients")], help: "Connections.")
    var connections = 1

    @Option(name: [.customShort("m"), .customLong("max-concurrent-streams")],
            help: "Concurrent streams per connection (HTTP/2).")
    var streams = 1

    @Option(name: [.customShort("n"), .customLong("requests")],
            help: "Measured requests in all (default 1000, or unlimited with --duration).")
    var requests: Int?

    @Option(name: [.customShort("D"), .customLong("duration")],
            help: ArgumentHelp("Stop measuring after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customLong("warm-up"), help: "Unmeasured requests per connection before measuring (at least 1).")
    var warmUp = 1

    @Option(name: [.customShort("t"), .customLong("threads")],
            help: "Event loops (threads); default: the CPUs this process may use.")
    var threads: Int?

    @Option(name: [.customShort("H"), .customLong("header")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A request field (repeatable).", valueName: "name: value"))
    var headers: [String] = []

    @Flag(name: .customLong("json"), help: "Print one line of JSON instead of the report.")
    var json = false

    @OptionGroup(title: "Connection options")
    var connection: ConnectionOptions

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("-c must be at least 1") }
        guard streams >= 1 else { throw ValidationError("-m must be at least 1") }
        if let requests, requests < 1 { throw ValidationError("-n must be at least 1") }
        if let duration { _ = try ConnectionOptions.duration(duration, option: "--duration") }
        guard warmUp >= 1 else { throw ValidationError("--warm-up must be at least 1") }
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("-t must be between 1 and 1024") }
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
            duration: try duration.map { (seconds) throws(ValidationError) in
                try ConnectionOptions.duration(seconds, option: "--duration")
            },
            warmUpRequests: warmUp, loops: threads ?? EventLoopGroup.defaultLoopCount, configuration: configuration)
        let result: BenchResult
        do {
            result = try await BenchRunner(plan: plan).run()
        } catch {
            let failure = TransferFailure(error)
            StandardError.write("courier: (\(failure.status.rawValue)) \(failure.code): \(failure.message)\n")
            throw ExitCode(failure.status.rawValue)
        }
        print(json ? result.json : result.text)
        if result.statistics.errors > 0 {
            if !json { StandardError.write("courier: \(result.statistics.errors) requests failed\n") }
            throw ExitCode(ExitStatus.failure.rawValue)
        }
    }
}
