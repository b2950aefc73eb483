// What the pool state machine costs per request: lease-and-release cycles on HTTP/1.1 and HTTP/2, and a
// request that waits in the queue. The reference, measured in the same run, is the least any pool must do: a
// free list of idle connection ids plus a table of leased ones. Each scenario keeps its state in locals (a
// global would add the runtime's exclusivity checks to every access).
// Usage: BenchPoolStateMachine [cycles] [reference|http1|http2|queued]
import CourierCore
import CourierPool

typealias Pool = ConnectionPoolStateMachine

let arguments = CommandLine.arguments
let cycles = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let only = arguments.count > 2 ? arguments[2] : nil

/// Nanoseconds per cycle of `body`, best of three rounds (the machine is shared; the minimum is the signal).
func measure(_ cycles: Int, _ body: (Int) -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<3 {
        let start = SystemClock.now()
        for cycle in 0..<cycles { sink &+= body(cycle) }
        best = min(best, Double((SystemClock.now() - start).nanosecondsClamped) / Double(max(cycles, 1)))
    }
    if sink == 42 { print("") }
    return best
}

func establishedPool(_ configuration: ConnectionPoolConfiguration, connections: Int, http2Streams: Int?) -> Pool {
    var pool = Pool(configuration: configuration)
    let now = SystemClock.now()
    for n in 0..<connections { _ = pool.executeRequest(RequestID(UInt64(n)), preferredLoop: LoopID(n % 4), now: now) }
    let negotiated: Pool.NegotiatedProtocol = http2Streams.map { .http2(maximumStreams: $0) } ?? .http1
    for n in 0..<connections { _ = pool.connectionEstablished(ConnectionID(UInt64(n)), protocol: negotiated, now: now) }
    for n in 0..<connections { _ = pool.requestFinished(on: ConnectionID(UInt64(n)), reusable: true, now: now) }
    return pool
}

/// The least a pool does: take an idle connection from a free list, note it as leased, give it back.
func reference(_ cycles: Int) -> Double {
    var idle = Array(0..<8)
    var leased: [Int: Int] = [:]
    leased.reserveCapacity(16)
    return measure(cycles) { cycle in
        let connection = idle.removeLast()
        leased[cycle & 1023] = connection
        idle.append(leased.removeValue(forKey: cycle & 1023)!)
        return connection
    }
}

/// HTTP/1.1: a request takes an idle connection (cancelling its idle timer) and releases it (re-arming it).
func http1(_ cycles: Int) -> Double {
    var pool = establishedPool(ConnectionPoolConfiguration(preferredProtocol: .http1Only), connections: 8, http2Streams: nil)
    let start = SystemClock.now()
    var next: UInt64 = 1_000
    return measure(cycles) { cycle in
        next += 1
        let now = start + .nanoseconds(Int64(next))
        let run = pool.executeRequest(RequestID(next), preferredLoop: LoopID(cycle & 3), now: now)
        guard case .execute(_, let connection) = run.requests[0] else { fatalError("expected execute, got \(run)") }
        let done = pool.requestFinished(on: connection, reusable: true, now: now)
        return run.connections.count + done.connections.count
    }
}

/// HTTP/2: one stream opens and one closes on a connection that keeps 50 of its 100 streams busy.
func http2(_ cycles: Int) -> Double {
    var pool = establishedPool(ConnectionPoolConfiguration(preferredProtocol: .http2PriorKnowledge), connections: 1, http2Streams: 100)
    let start = SystemClock.now()
    for n in 0..<50 { _ = pool.executeRequest(RequestID(UInt64(100 + n)), preferredLoop: nil, now: start) }
    var next: UInt64 = 1_000
    return measure(cycles) { _ in
        next += 1
        let now = start + .nanoseconds(Int64(next))
        let run = pool.executeRequest(RequestID(next), preferredLoop: nil, now: now)
        let done = pool.requestFinished(on: ConnectionID(0), reusable: true, now: now)
        return run.requests.count + done.connections.count
    }
}

/// Queued: every connection is busy, so a request waits (acquire timer armed) and is handed the connection
/// of the request that finishes next (timer cancelled).
func queued(_ cycles: Int) -> Double {
    var pool = establishedPool(ConnectionPoolConfiguration(preferredProtocol: .http1Only), connections: 8, http2Streams: nil)
    let start = SystemClock.now()
    for n in 0..<8 { _ = pool.executeRequest(RequestID(UInt64(100 + n)), preferredLoop: nil, now: start) }
    var next: UInt64 = 1_000
    return measure(cycles) { cycle in
        next += 1
        let now = start + .nanoseconds(Int64(next))
        let wait = pool.executeRequest(RequestID(next), preferredLoop: nil, now: now)
        let handOver = pool.requestFinished(on: ConnectionID(UInt64(cycle & 7)), reusable: true, now: now)
        return wait.requests.count + handOver.requests.count
    }
}

print("pool state machine, \(cycles) cycles (one request through the pool each), best of 3")
let scenarios: [(String, String, (Int) -> Double)] = [
    ("reference", "reference (free list + table)", reference),
    ("http1", "HTTP/1.1 idle connection leased and released", http1),
    ("http2", "HTTP/2 stream opened and closed", http2),
    ("queued", "request queued, then handed a released connection", queued),
]
var referenceCost: Double?
for (key, title, run) in scenarios where only == nil || only == key || key == "reference" {
    let cost = run(cycles)
    var line = "\(title): \(Int(cost.rounded())) ns per request"
    if let referenceCost { line += " (\((cost / referenceCost * 10).rounded() / 10)× the reference)" }
    if key == "reference" { referenceCost = cost }
    print(line)
}
