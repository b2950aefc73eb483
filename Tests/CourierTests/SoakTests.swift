import CourierCore
import Foundation
import Testing
import Courier
import CourierTestServer
import CourierTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `make soak`: 64 requests at a time over HTTP/1.1 and HTTP/2, against nginx and the in-process server, for
/// `COURIER_SOAK_SECONDS` (off unless set). RSS and open descriptors are sampled each second; after a warm-up
/// (a fifth of the run, at least 20 s) RSS must stay within 5% (plus 8 MiB for allocator noise) of its level
/// at the end of the warm-up on runs of 300 s or more (shorter ones report it), no request may fail, and once the clients are shut down the descriptors must
/// come back to their count with the servers alone. Run it alone (`--filter SoakTests`): it measures the
/// whole process.
@Suite struct SoakTests {
    static let seconds = getenv("COURIER_SOAK_SECONDS").flatMap { Int(String(cString: $0)) } ?? 0

    struct Target: Sendable {
        let name: String
        let client: HTTPClient
        let urls: [String]
    }

    @Test(.enabled(if: seconds > 0 && NginxServer.isAvailable))
    func soak() async throws {
        // One request first, so that what lives as long as the process (the shared event loops, the resolver)
        // exists before descriptors are counted.
        let warmUpServer = try await TestServer.start()
        let warmUpClient = HTTPClient()
        _ = try await withTimeout { try await warmUpClient.get(warmUpServer.url("/status/200")).body.collect(upTo: 100) }
        await warmUpClient.shutdown()
        await warmUpServer.shutdown()
        let descriptorsBefore = openFileDescriptorCount()
        let namesBefore = Self.descriptorNames()
        let nginx = try NginxServer.start(files: ["64k.bin": 65536, "1m.bin": 1 << 20])
        let server = try await TestServer.start()
        // With both servers listening and no client yet: the count the clients must come back to.
        let descriptorsWithServers = openFileDescriptorCount()
        let namesWithServers = Self.descriptorNames()
        var http1 = HTTPClient.Configuration()
        http1.httpVersion = .http1Only
        var http2 = HTTPClient.Configuration()
        http2.httpVersion = .http2PriorKnowledge
        let client1 = HTTPClient(configuration: http1), client2 = HTTPClient(configuration: http2)
        func urls(_ base: String, _ paths: [String]) -> [String] { paths.map { base + $0 } }
        let nginxPaths = ["/small", "/small", "/small", "/64k.bin", "/status/204", "/1m.bin"]
        let serverPaths = ["/status/200", "/status/200", "/bytes/1000", "/bytes/65536", "/echo", "/bytes/1048576"]
        let targets = [
            Target(name: "h1 nginx", client: client1, urls: urls("http://127.0.0.1:\(nginx.httpPort)", nginxPaths)),
            Target(name: "h2 nginx", client: client2, urls: urls("http://127.0.0.1:\(nginx.h2cPort)", nginxPaths)),
            Target(name: "h1 server", client: client1, urls: urls(server.url(""), serverPaths)),
            Target(name: "h2 server", client: client2, urls: urls(server.url(""), serverPaths)),
        ]
        let duration = Duration.seconds(Self.seconds)
        let warmUp = Duration.seconds(max(20, Self.seconds / 5))
        let start = ContinuousClock.now
        let deadline = start + duration
        let counters = Counters()
        let samples = try await withTimeout(duration + .seconds(120)) { () -> [Sample] in
            try await withThrowingTaskGroup(of: [Sample].self) { group in
                for worker in 0..<64 {
                    let target = targets[worker % targets.count]
                    group.addTask {
                        var index = worker
                        while ContinuousClock.now < deadline {
                            index += 1
                            let url = target.urls[index % target.urls.count]
                            var phase = "head"
                            do {
                                let response = try await target.client.get(url, timeout: .seconds(30))
                                phase = "body"
                                _ = try await response.body.collect(upTo: 2 << 20)
                                counters.record(ok: response.head.status.code < 500)
                            } catch {
                                counters.record(ok: false, error: "\(target.name) \(url) (\(phase)): \(error)")
                            }
                        }
                        return []
                    }
                }
                group.addTask {
                    var samples: [Sample] = []
                    while ContinuousClock.now < deadline {
                        try await Task.sleep(for: .seconds(1))
                        let sample = Sample(elapsed: ContinuousClock.now - start, rss: residentBytes(),
                                            descriptors: openFileDescriptorCount(), requests: counters.total)
                        samples.append(sample)
                        print("soak t=\(sample.elapsed.components.seconds)s rss=\(sample.rss >> 10) KiB fds=\(sample.descriptors) requests=\(sample.requests)")
                    }
                    return samples
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        await client1.shutdown()
        await client2.shutdown()
        // The clients' connections (and the servers' ends of them) close shortly after.
        var descriptorsAfterClients = openFileDescriptorCount()
        let settle = ContinuousClock.now + .seconds(10)
        while descriptorsAfterClients > descriptorsWithServers && ContinuousClock.now < settle {
            try await Task.sleep(for: .milliseconds(50))
            descriptorsAfterClients = openFileDescriptorCount()
        }
        if descriptorsAfterClients > descriptorsWithServers {
            print("soak: descriptors the clients left: \(Self.descriptorNames().subtracting(namesWithServers).sorted())")
        }
        await server.shutdown()
        nginx.stop()
        let descriptorsAfter = openFileDescriptorCount()
        let steady = samples.filter { $0.elapsed >= warmUp }
        guard let baseline = steady.first, let last = steady.last else {
            Issue.record("no samples after the warm-up")
            return
        }
        let peak = steady.map(\.rss).max()!
        let drift = Double(last.rss - baseline.rss) / Double(baseline.rss) * 100
        let peakDrift = Double(peak - baseline.rss) / Double(baseline.rss) * 100
        let fdRange = (steady.map(\.descriptors).min()!, steady.map(\.descriptors).max()!)
        let failed = counters.failed
        print("""
            soak summary: \(Self.seconds) s, \(counters.total) requests (\(counters.total / max(1, Self.seconds))/s), \
            \(failed) failed; RSS after warm-up \(baseline.rss >> 10) KiB → \(last.rss >> 10) KiB \
            (drift \(String(format: "%+.2f", drift))%, peak \(String(format: "%+.2f", peakDrift))%); \
            fds during the run \(fdRange.0)...\(fdRange.1); fds with the servers alone \(descriptorsWithServers), \
            after the clients' shutdown \(descriptorsAfterClients); before everything \(descriptorsBefore), at the end \(descriptorsAfter)
            """)
        for failure in counters.firstErrors { print("soak failure: \(failure)") }
        if descriptorsAfter > descriptorsBefore {
            print("soak: descriptors still open at the end: \(Self.descriptorNames().subtracting(namesBefore).sorted())")
        }
        #expect(failed == 0)
        // The allocator settles over the first minutes (about 100 s here): shorter runs report the drift only.
        if Self.seconds >= 300 {
            #expect(last.rss <= baseline.rss + baseline.rss / 20 + 8 << 20, "RSS drifted \(drift)%")
        }
        #expect(descriptorsAfterClients <= descriptorsWithServers, "the clients left descriptors open")
    }

    /// `fd → target` for every open descriptor (from /proc/self/fd).
    static func descriptorNames() -> Set<String> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Set(entries.map { fd in
            "\(fd) → \((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)) ?? "?")"
        })
    }

    struct Sample: Sendable {
        let elapsed: Duration
        let rss: Int
        let descriptors: Int
        let requests: Int
    }
}

/// Request counts and the first few errors of a soak run.
final class Counters: Sendable {
    private struct State {
        var total = 0
        var failed = 0
        var errors: [String] = []
    }
    private let state = Locked(State())

    func record(ok: Bool, error: String? = nil) {
        state.withLock { state in
            state.total += 1
            if !ok { state.failed += 1 }
            if let error, state.errors.count < 10 { state.errors.append(error) }
        }
    }

    var total: Int { state.withLock { $0.total } }
    var failed: Int { state.withLock { $0.failed } }
    var firstErrors: [String] { state.withLock { $0.errors } }
}
