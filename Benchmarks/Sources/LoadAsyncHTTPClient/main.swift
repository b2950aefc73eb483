// AsyncHTTPClient's side of the load comparison in `make bench` (Benchmarks/bench.py): the same job as
// `courier bench` on the same URL, the way an AsyncHTTPClient user writes it: one shared HTTPClient and a
// TaskGroup of workers, each running requests one after another and reading every body to its end.
//
// Usage: LoadAsyncHTTPClient URL [-c connections] [-m streams] [-n requests] [-D seconds] [--http1.1]
//                                [-t event-loop-threads]
// Over HTTP/1.1 there are C workers and a pool of C connections; over HTTP/2 C×M workers (AsyncHTTPClient
// decides itself how many connections carry them; it opens one per host until its streams run out). A
// warm-up of one request per worker is not measured. Prints one line of JSON like `courier bench --json`:
// {"requests":N,"errors":N,"seconds":S,"rps":R,"mbps":M,"protocol":"..."}.
import AsyncHTTPClient
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var url = ""
    var connections = 1
    var streams = 1
    var requests = 1000
    var seconds: Double?
    var http1Only = false
    var threads = System.coreCount

    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let argument = rest.popFirst() {
            switch argument {
            case "-c": connections = Int(rest.popFirst() ?? "") ?? connections
            case "-m": streams = Int(rest.popFirst() ?? "") ?? streams
            case "-n": requests = Int(rest.popFirst() ?? "") ?? requests
            case "-D": seconds = Double(rest.popFirst() ?? "")
            case "-t": threads = Int(rest.popFirst() ?? "") ?? threads
            case "--http1.1": http1Only = true
            default: url = argument
            }
        }
    }
}

/// What one worker saw.
struct Tally: Sendable {
    var requests = 0
    var errors = 0
    var bodyBytes = 0
    var version: String?
    var firstError: String?

    mutating func merge(_ other: Tally) {
        requests += other.requests
        errors += other.errors
        bodyBytes += other.bodyBytes
        version = version ?? other.version
        firstError = firstError ?? other.firstError
    }
}

let options = Options(CommandLine.arguments.dropFirst())
guard !options.url.isEmpty else {
    print("usage: LoadAsyncHTTPClient URL [-c C] [-m M] [-n N] [-D seconds] [--http1.1] [-t threads]")
    exit(2)
}

var configuration = HTTPClient.Configuration(certificateVerification: .none)
configuration.httpVersion = options.http1Only ? .http1Only : .automatic
configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = options.connections
configuration.decompression = .disabled
let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)

/// One request with its body read to the end.
func exchange(_ tally: inout Tally) async {
    do {
        let response = try await client.execute(HTTPClientRequest(url: options.url), timeout: .seconds(30))
        var bytes = 0
        for try await chunk in response.body { bytes += chunk.readableBytes }
        tally.requests += 1
        tally.bodyBytes += bytes
        if tally.version == nil { tally.version = response.version == .http2 ? "h2" : "http/1.1" }
    } catch {
        tally.errors += 1
        if tally.firstError == nil { tally.firstError = "\(error)" }
    }
}

/// Runs `workers` tasks sharing `total` requests, each stopping at `deadline` too.
func run(workers: Int, total: Int, deadline: ContinuousClock.Instant?) async -> Tally {
    await withTaskGroup(of: Tally.self) { tasks in
        for worker in 0..<workers {
            let quota = total / workers + (worker < total % workers ? 1 : 0)
            tasks.addTask {
                var tally = Tally()
                for _ in 0..<quota {
                    if let deadline, ContinuousClock.now >= deadline { break }
                    await exchange(&tally)
                }
                return tally
            }
        }
        var merged = Tally()
        for await tally in tasks { merged.merge(tally) }
        return merged
    }
}

// Warm-up: the connections open and the protocol is known.
let probe = await run(workers: 1, total: 1, deadline: nil)
let workers = options.connections * (probe.version == "h2" ? options.streams : 1)
let warmUp = await run(workers: workers, total: workers, deadline: nil)
let clock = ContinuousClock()
let start = clock.now
let tally = await run(workers: workers, total: options.requests,
                      deadline: options.seconds.map { start + .milliseconds(Int64($0 * 1000)) })
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
try? await client.shutdown()
try? await group.shutdownGracefully()

let version = probe.version ?? warmUp.version ?? "none"
let rps = Double(tally.requests) / seconds
let mbps = Double(tally.bodyBytes) / seconds / 1e6
print("{\"requests\":\(tally.requests),\"errors\":\(tally.errors),\"seconds\":\(seconds),\"rps\":\(rps),"
      + "\"mbps\":\(mbps),\"protocol\":\"\(version)\",\"workers\":\(workers)}")
if let firstError = tally.firstError ?? probe.firstError {
    FileDescriptorStderr.write("LoadAsyncHTTPClient: \(tally.errors) errors, first: \(firstError)\n")
}
exit(tally.errors == 0 && tally.requests > 0 ? 0 : 1)

/// Writes to standard error without Foundation.
enum FileDescriptorStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
