// Random event sequences for the model driver, from a seeded generator (tests) or the fuzzer's bytes.
import CourierCore
import CourierPool

/// Where the simulation's decisions come from.
protocol ChoiceSource {
    /// A number in `0..<bound` (`bound` ≥ 1).
    mutating func choose(_ bound: Int) -> Int
    /// Whether the source has run dry (the fuzzer's input is used up); the sequence then ends.
    var isExhausted: Bool { get }
}

/// SplitMix64: a small, fast, seedable generator, so every failing sequence replays from its seed.
struct SeededChoices: ChoiceSource {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func choose(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    var isExhausted: Bool { false }
}

/// Decisions read from the fuzzer's input, one byte each (two for bounds above 256).
struct ByteChoices: ChoiceSource {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func choose(_ bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        var value = 0
        for _ in 0..<(bound > 256 ? 2 : 1) {
            value = value << 8 | Int(index < bytes.count ? bytes[index] : 0)
            index += 1
        }
        return value % bound
    }

    var isExhausted: Bool { index >= bytes.count }
}

extension PoolModel {
    /// A configuration with small limits, so that queues, limits and timers are all exercised.
    static func randomSetup(_ choices: inout some ChoiceSource) -> (ConnectionPoolConfiguration, Server) {
        var configuration = ConnectionPoolConfiguration()
        configuration.maximumConnectionsPerOrigin = 1 + choices.choose(4)
        configuration.maximumHTTP2ConnectionsPerOrigin = 1 + choices.choose(3)
        configuration.maximumPendingRequests = [1, 3, 8, 10_000][choices.choose(4)]
        configuration.acquireTimeout = [nil, .seconds(1), .seconds(5)][choices.choose(3)]
        configuration.idleTimeout = [.milliseconds(500), .seconds(3), .seconds(50)][choices.choose(3)]
        configuration.maximumConnectionAge = [nil, nil, .seconds(2), .seconds(10)][choices.choose(4)]
        configuration.connectBackoff = .init(initial: .milliseconds(100), maximum: .seconds(2))
        configuration.failFastAfterFailures = 1 + choices.choose(3)
        configuration.preferredProtocol = [.automatic, .automatic, .http1Only, .http2PriorKnowledge][choices.choose(4)]
        return (configuration, Server.allCases[choices.choose(Server.allCases.count)])
    }

    /// Runs one random sequence of `steps` events, then drains the pool; throws on the first violation.
    static func run(
        _ choices: inout some ChoiceSource, steps: Int, tracing: Bool = false
    ) throws(ModelViolation) -> PoolModel {
        let (configuration, server) = randomSetup(&choices)
        var model = PoolModel(configuration: configuration, server: server, tracing: tracing)
        var events = 0
        while events < steps && !choices.isExhausted {
            try model.randomEvent(&choices)
            events += 1
        }
        try model.drain(&choices)
        return model
    }

    /// How a new connection turns out, per the configuration and the simulated server.
    func negotiatedStreams(_ choices: inout some ChoiceSource, healthy: Bool) -> Int?? {
        let streams = healthy ? 1 + choices.choose(4) : [0, 1, 1, 2, 3, 100][choices.choose(6)]
        switch configuration.preferredProtocol {
        case .http1Only: return .some(nil)
        case .http2PriorKnowledge: return .some(streams)
        case .automatic:
            switch server {
            case .http1: return .some(nil)
            case .http2: return .some(streams)
            case .mixed, .flaky: return choices.choose(2) == 0 ? .some(nil) : .some(streams)
            }
        }
    }

    mutating func randomEvent(_ choices: inout some ChoiceSource) throws(ModelViolation) {
        // Only whether each kind of event is possible is needed here; the sorted candidates (sorted so that a
        // sequence replays the same way in every process) are built for the chosen kind alone.
        func isExecuting(_ state: RequestState) -> Bool { if case .executing = state { true } else { false } }
        let hasStarting = connections.values.contains { !$0.established }
        let hasEstablished = connections.values.contains { $0.established }
        let hasHTTP2 = connections.values.contains { $0.established && $0.isHTTP2 }
        let hasExecuting = requests.values.contains(where: isExecuting)
        let hasIdleTimers = connections.values.contains { $0.idleDeadline != nil }
        var starting: [ConnectionID] { connections.filter { !$0.value.established }.map(\.key).sorted() }
        var established: [ConnectionID] { connections.filter { $0.value.established }.map(\.key).sorted() }
        var http2: [ConnectionID] { connections.filter { $0.value.established && $0.value.isHTTP2 }.map(\.key).sorted() }
        var executing: [RequestID] { requests.filter { isExecuting($0.value) }.map(\.key).sorted() }
        var idleTimers: [ConnectionID] { connections.filter { $0.value.idleDeadline != nil }.map(\.key).sorted() }
        let failWeight = server == .flaky ? 10 : 2
        let weights: [Int] = [
            20,  // 0 submit
            requests.isEmpty ? 0 : 3,  // 1 cancel
            hasStarting ? 10 : 0,  // 2 establish
            hasStarting ? failWeight : 0,  // 3 connection fails
            hasExecuting ? 16 : 0,  // 4 finish
            hasHTTP2 ? 2 : 0,  // 5 SETTINGS
            hasEstablished ? 1 : 0,  // 6 GOAWAY
            hasEstablished ? 2 : 0,  // 7 closed by peer
            hasStarting ? 1 : 0,  // 8 closed before established
            hasIdleTimers ? 3 : 0,  // 9 idle timer
            acquireTimers.isEmpty ? 0 : 3,  // 10 acquire timer
            backoffDeadline == nil ? 0 : 5,  // 11 backoff
            staleIdleTimers.isEmpty ? 0 : 1,  // 12 stale idle timer
            staleAcquireTimers.isEmpty ? 0 : 1,  // 13 stale acquire timer
            closedConnections.isEmpty ? 0 : 1,  // 14 late event
            6,  // 15 time passes
            shutdownRequested ? 0 : 1,  // 16 shutdown
        ]
        var pick = choices.choose(weights.reduce(0, +))
        var kind = 0
        while pick >= weights[kind] {
            pick -= weights[kind]
            kind += 1
        }
        func one<T>(_ items: [T]) -> T { items[choices.choose(items.count)] }
        switch kind {
        case 0: try submit(preferredLoop: [nil, LoopID(0), LoopID(1), LoopID(2)][choices.choose(4)])
        case 1: try cancel(one(requests.keys.sorted()))
        case 2:
            let id = one(starting)
            try establish(id, http2MaximumStreams: negotiatedStreams(&choices, healthy: false) ?? nil)
        case 3: try fail(one(starting))
        case 4: try finish(one(executing), reusable: choices.choose(8) != 0)
        case 5: try changeSettings(one(http2), maximumStreams: choices.choose(5))
        case 6: try goAway(one(established))
        case 7: try peerClose(one(established))
        case 8: try peerClose(one(starting))
        case 9: try fireIdleTimer(one(idleTimers))
        case 10: try fireAcquireTimer(one(acquireTimers.keys.sorted()))
        case 11: try fireBackoff()
        case 12:
            let index = choices.choose(staleIdleTimers.count)
            let (id, deadline) = staleIdleTimers.remove(at: index)
            try fireStaleIdleTimer(id, deadline: deadline)
        case 13: try fireStaleAcquireTimer(staleAcquireTimers.remove(at: choices.choose(staleAcquireTimers.count)))
        case 14: try lateEvent(one(closedConnections), kind: choices.choose(5))
        case 15: clock = clock + .milliseconds([1, 50, 400, 1500, 6000][choices.choose(5)])
        default: try shutdown()
        }
    }
}

extension PoolModel {
    /// Ends a sequence: first lets a healthy origin serve every waiting request (checking that the pool makes
    /// progress on its own), then shuts down and drains, and checks that every request got one outcome.
    mutating func drain(_ choices: inout some ChoiceSource) throws(ModelViolation) {
        record("drain")
        var budget = 20_000
        while !shutdownRequested && waitingCount > 0 {
            budget -= 1
            try check(budget > 0, "the pool does not drain")
            if let id = connections.filter({ !$0.value.established }).map(\.key).min() {
                try establish(id, http2MaximumStreams: negotiatedStreams(&choices, healthy: true) ?? nil)
            } else if let id = firstExecuting() {
                try finish(id, reusable: true)
            } else if backoffDeadline != nil {
                try fireBackoff()
            } else if let id = connections.filter({ $0.value.isHTTP2 && $0.value.maximumStreams == 0 }).map(\.key).min() {
                try changeSettings(id, maximumStreams: 2)
            } else if let id = connections.filter({ $0.value.idleDeadline != nil }).map(\.key).min() {
                try fireIdleTimer(id)
            } else {
                throw violation("\(waitingCount) requests wait and nothing can make progress")
            }
        }
        if !shutdownRequested { try shutdown() }
        while !shutdownCompleted {
            budget -= 1
            try check(budget > 0, "shutdown does not complete")
            if let id = connections.filter({ !$0.value.established }).map(\.key).min() {
                if choices.choose(2) == 0 {
                    try fail(id)
                } else {
                    try establish(id, http2MaximumStreams: negotiatedStreams(&choices, healthy: true) ?? nil)
                }
            } else if let id = firstExecuting() {
                try finish(id, reusable: choices.choose(2) == 0)
            } else {
                throw violation("shutdown is stuck with \(connections.count) connections")
            }
        }
        // After shutdown: new requests fail, late timers are ignored.
        try submit(preferredLoop: nil)
        if backoffDeadline != nil { try fireBackoff() }
        try check(requests.isEmpty, "requests never ended: \(requests.keys.sorted())")
        try check(outcomes.count == Int(nextRequest), "\(outcomes.count) outcomes for \(nextRequest) requests")
        try check(acquireTimers.isEmpty, "acquire timers left: \(acquireTimers.keys.sorted())")
    }

    private func firstExecuting() -> RequestID? {
        requests.filter { if case .executing = $0.value { true } else { false } }.map(\.key).min()
    }
}
