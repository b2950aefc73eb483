import CourierTestServer

/// `courier demo` (`make demo`): starts the in-process test server and runs a short scripted tour of the
/// client through the public API, printing a compact report.
struct DemoCommand {
    /// The grammar and help of `courier demo [options]`.
    static let syntax = CommandLineSyntax(
        name: "courier demo",
        abstract: "Start the in-process test server and tour the client's features against it.",
        usage: "courier demo [<options>]",
        discussion: """
            Over TLS with a generated CA: HTTP/1.1, HTTP/2 negotiated in ALPN (reported as unavailable when \
            this build cannot speak it), many concurrent requests (multiplexed over HTTP/2 when available), a \
            large streamed download checked byte for byte in bounded memory, NDJSON lines as they are sent, and \
            a reset mid-body caught as a typed error. Exits 1 if a step misbehaves.
            """,
        positionals: [],
        optionGroups: [
            .init(title: "OPTIONS", options: [
                .value("requests", "count", "Concurrent requests in the multiplexing step (default 1000)."),
                .value("download-mb", "megabytes", "Size of the streamed download, in megabytes (10^6 bytes; default 100)."),
            ]),
        ])

    let requests: Int
    let downloadMegabytes: Int

    /// Reads and checks the arguments `syntax` parsed.
    init(_ parsed: CommandLineSyntax.Parsed) throws(UsageError) {
        requests = try parsed.int("requests") ?? 1000
        downloadMegabytes = try parsed.int("download-mb") ?? 100
        try validate()
    }

    private func validate() throws(UsageError) {
        guard (1...100_000).contains(requests) else { throw UsageError("--requests must be between 1 and 100000") }
        guard (1...100_000).contains(downloadMegabytes) else { throw UsageError("--download-mb must be between 1 and 100000") }
    }

    func run() async throws {
        var configuration = TestServer.Configuration.tls()
        // Room for every request of the concurrency step on one HTTP/2 connection (servers commonly allow 100-256).
        configuration.http2.maxConcurrentStreams = max(requests, 100)
        let server = try await TestServer.start(configuration)
        var sizes = DemoTour.Sizes()
        sizes.concurrentRequests = requests
        sizes.downloadBytes = downloadMegabytes * 1_000_000
        var tour = DemoTour(server: server, sizes: sizes)
        let passed = await tour.run()
        await server.shutdown()
        if !passed { throw ExitStatus.failure }
    }
}
