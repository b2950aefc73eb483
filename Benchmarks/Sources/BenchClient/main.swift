// Quick client throughput probe: N requests to URL with C concurrent workers on the client's loops.
// Usage: BenchClient URL CONCURRENCY REQUESTS [h1|h2c|auto] [connections]
import Courier
import CourierCore
import CourierReactor
import Synchronization
import Foundation

let arguments = CommandLine.arguments
let url = arguments[1]
let concurrency = Int(arguments[2])!
let total = Int(arguments[3])!
let mode = arguments.count > 4 ? arguments[4] : "auto"
let connections = arguments.count > 5 ? Int(arguments[5])! : concurrency
var configuration = HTTPClient.Configuration()
configuration.pool.maximumConnectionsPerHost = connections
configuration.pool.maximumHTTP2ConnectionsPerHost = connections
configuration.tls.verification = .insecureNoVerification
switch mode {
case "h1": configuration.httpVersion = .http1Only
case "h2c": configuration.httpVersion = .http2PriorKnowledge
default: break
}
let group = EventLoopGroup.shared
let client = HTTPClient(configuration: configuration, eventLoopGroup: group)
let request = try HTTPClient.request(.get, url)
final class Counter: Sendable { let value = Atomic<Int>(0); let errors = Atomic<Int>(0) }
let counter = Counter()

func run(_ count: Int) async -> Double {
    counter.value.store(0, ordering: .relaxed)
    let start = SystemClock.now()
    await withTaskGroup(of: Void.self) { tasks in
        for worker in 0..<concurrency {
            let loop = group.loops[worker % group.loops.count]
            tasks.addTask {
                await Task(executorPreference: loop) {
                    while counter.value.wrappingAdd(1, ordering: .relaxed).oldValue < count {
                        do {
                            let response = try await client.execute(request)
                            for try await _ in response.body {}
                        } catch {
                            counter.errors.wrappingAdd(1, ordering: .relaxed)
                        }
                    }
                }.value
            }
        }
    }
    return (SystemClock.now() - start).secondsDouble
}

_ = await run(min(total / 10, 5000))
let seconds = await run(total)
print(String(format: "%@ c=%d conns=%d: %.0f req/s (%d requests, %.2fs, %d errors)", mode, concurrency, connections,
             Double(total) / seconds, total, seconds, counter.errors.load(ordering: .relaxed)))
await client.shutdown()
