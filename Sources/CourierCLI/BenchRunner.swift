import Courier
import CourierCore

/// Runs a load test through the public API, shaped like h2load: C connections. When HTTP/2 is possible each
/// connection is its own client with a one-connection pool, so the count is exact (an HTTP/2 pool would
/// otherwise carry every stream on one connection until it is full); when only HTTP/1.1 is (cleartext
/// without prior knowledge, or `--http1.1`), one client with a C-connection pool serves every worker, as an
/// application shares one client. Workers are tasks preferring an event loop (their connection's, when
/// each has its own client), so a request runs there with no thread hop. Over HTTP/2 each connection has M
/// workers (M concurrent streams); over HTTP/1.1 one (no pipelining).
///
/// A warm-up (at least one request per connection) opens the connections and tells the protocol; it is not
/// measured. Each worker then runs its share of the requests (or until the deadline) with its own counters
/// and histogram, merged at the end: nothing is shared in the hot loop.
struct BenchRunner {
    /// What to run.
    struct Plan: Sendable {
        var request: HTTPRequest
        var connections: Int
        var streams: Int
        /// Measured requests in all (nil: until the deadline).
        var requests: Int?
        var duration: Duration?
        /// Requests per connection before measuring (at least 1).
        var warmUpRequests: Int
        var loops: Int
        /// How long each loop polls before it sleeps (`EventLoop.defaultIdlePollLimit` unless asked).
        var idlePollLimit: Duration
        var configuration: HTTPClient.Configuration
    }

    let plan: Plan

    /// Runs the warm-up and the measured phase. Fails with the warm-up's error when no connection could
    /// complete a single request.
    func run() async throws(HTTPClientError) -> BenchResult {
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(loopCount: plan.loops, name: "courier-bench", idlePollLimit: plan.idlePollLimit)
        } catch {
            throw HTTPClientError(.shutdown, "cannot start the event loops: \(error)")
        }
        var configuration = plan.configuration
        // `owned` are the clients to shut down; `clients` gives each connection's workers theirs.
        let owned: [HTTPClient]
        let clients: [HTTPClient]
        if Self.speaksOnlyHTTP1(plan) {
            configuration.pool.maximumConnectionsPerHost = plan.connections
            owned = [HTTPClient(configuration: configuration, eventLoopGroup: group)]
            clients = Array(repeating: owned[0], count: plan.connections)
        } else {
            configuration.pool.maximumConnectionsPerHost = 1
            configuration.pool.maximumHTTP2ConnectionsPerHost = 1
            owned = (0..<plan.connections).map { _ in HTTPClient(configuration: configuration, eventLoopGroup: group) }
            clients = owned
        }
        let result: Result<BenchResult, HTTPClientError>
        do throws(HTTPClientError) {
            result = .success(try await measure(clients, group: group))
        } catch {
            result = .failure(error)
        }
        for client in owned { await client.shutdown() }
        await group.shutdown()
        return try result.get()
    }

    /// Whether the plan's connections can only be HTTP/1.1: `--http1.1`, or cleartext without prior knowledge.
    static func speaksOnlyHTTP1(_ plan: Plan) -> Bool {
        switch plan.configuration.httpVersion {
        case .http1Only: true
        case .http2PriorKnowledge: false
        case .automatic: plan.request.scheme?.lowercased() == "http"
        }
    }

    private func measure(_ clients: [HTTPClient], group: EventLoopGroup) async throws(HTTPClientError) -> BenchResult {
        let request = plan.request
        let loops = group.loops
        // Warm-up: one task per connection, on the loop its connection will live on.
        let warmUp = await withTaskGroup(of: (HTTPProtocolVersion?, BenchStatistics).self) { tasks in
            for (index, client) in clients.enumerated() {
                let count = plan.warmUpRequests
                tasks.addTask(executorPreference: loops[index % loops.count]) {
                    var version: HTTPProtocolVersion?
                    var statistics = BenchStatistics()
                    for _ in 0..<count {
                        if let seen = await Self.exchange(client, request, &statistics) { version = seen }
                    }
                    return (version, statistics)
                }
            }
            var version: HTTPProtocolVersion?
            var statistics = BenchStatistics()
            for await (seen, figures) in tasks {
                version = version ?? seen
                statistics.merge(figures)
            }
            return (version, statistics)
        }
        guard let version = warmUp.0 else {
            throw warmUp.1.firstError ?? HTTPClientError(.connectFailed, "no warm-up request completed")
        }
        let perConnection = version == .http2 ? plan.streams : 1
        let workers = plan.connections * perConnection
        let deadlineDuration = plan.duration
        let total = plan.requests
        let start = SystemClock.now()
        let deadline = deadlineDuration.map { start + $0 }
        let recorders = loops.map { _ in LatencyRecorder() }
        var merged = await withTaskGroup(of: BenchStatistics.self) { tasks in
            for worker in 0..<workers {
                let connection = worker / perConnection
                let client = clients[connection]
                let quota = total.map { $0 / workers + (worker < $0 % workers ? 1 : 0) } ?? Int.max
                let recorder = recorders[connection % loops.count]
                tasks.addTask(executorPreference: loops[connection % loops.count]) {
                    await Self.work(client, request, quota: quota, deadline: deadline, recorder: recorder)
                }
            }
            var merged = BenchStatistics()
            for await figures in tasks { merged.merge(figures) }
            return merged
        }
        for recorder in recorders { merged.latency.add(recorder.snapshot) }
        let seconds = Double(SystemClock.now().nanoseconds &- start.nanoseconds) / 1e9
        return BenchResult(statistics: merged, seconds: seconds, protocolVersion: version,
                           connections: plan.connections, streamsPerConnection: perConnection,
                           requestedStreams: plan.streams, loops: loops.count)
    }

    /// The hot loop: `quota` requests one after another, or until `deadline`.
    private nonisolated(nonsending) static func work(_ client: HTTPClient, _ request: HTTPRequest, quota: Int,
                             deadline: Timestamp?, recorder: LatencyRecorder) async -> BenchStatistics {
        var statistics = BenchStatistics(recorder: recorder)
        var remaining = quota
        while remaining > 0 {
            if let deadline, SystemClock.now() >= deadline { break }
            remaining -= 1
            _ = await exchange(client, request, &statistics)
        }
        return statistics
    }

    /// One request with its body read to the end, recorded in `statistics`; returns the protocol on success.
    @inline(__always)
    private nonisolated(nonsending) static func exchange(_ client: HTTPClient, _ request: HTTPRequest,
                                 _ statistics: inout BenchStatistics) async -> HTTPProtocolVersion? {
        let started = SystemClock.now()
        do {
            let response = try await client.execute(request)
            var bytes = 0
            do {
                for try await chunk in response.body { bytes += chunk.readableBytes }
            } catch {
                statistics.record(error: error as? HTTPClientError ?? HTTPClientError(.connectionClosed, "\(error)"))
                return nil
            }
            statistics.record(status: response.status.code, bodyBytes: bytes,
                              nanoseconds: SystemClock.now().nanoseconds &- started.nanoseconds)
            return response.version
        } catch {
            statistics.record(error: error)
            return nil
        }
    }
}
