import ArgumentParser
import CourierTestServer

/// `courier demo` (`make demo`): starts the in-process test server and runs a short scripted tour of the
/// client through the public API, printing a compact report.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the in-process test server and tour the client's features against it.",
        discussion: """
            Over TLS with a generated CA: HTTP/1.1, HTTP/2 negotiated in ALPN (reported as unavailable when \
            this build cannot speak it), many concurrent requests (multiplexed over HTTP/2 when available), a \
            large streamed download checked byte for byte in bounded memory, NDJSON lines as they are sent, and \
            a reset mid-body caught as a typed error. Exits 1 if a step misbehaves.
            """)

    @Option(name: .customLong("requests"), help: "Concurrent requests in the multiplexing step.")
    var requests = 1000

    @Option(name: .customLong("download-mb"), help: "Size of the streamed download, in megabytes (10^6 bytes).")
    var downloadMegabytes = 100

    func validate() throws {
        guard (1...100_000).contains(requests) else { throw ValidationError("--requests must be between 1 and 100000") }
        guard (1...100_000).contains(downloadMegabytes) else { throw ValidationError("--download-mb must be between 1 and 100000") }
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
        if !passed { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}
