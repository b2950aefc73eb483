// The invariants the model driver checks after every event.
import CourierCore
import CourierPool

extension PoolModel {
    var startingCount: Int { connections.values.count { !$0.established } }
    var http1Count: Int { connections.values.count { $0.established && !$0.isHTTP2 } }

    /// Established HTTP/2 connections accepting streams. The pool notices a connection's age only when it
    /// looks at it, so a too-old one may or may not still count there; callers pick the bound they need.
    func activeHTTP2Count(includingTooOld: Bool) -> Int {
        connections.values.count {
            $0.established && $0.isHTTP2 && !$0.goingAway && (includingTooOld || !isTooOld($0))
        }
    }

    func countedTowardsLimit(includingTooOld: Bool) -> Int {
        startingCount + http1Count + activeHTTP2Count(includingTooOld: includingTooOld)
    }

    /// The connection limit for the protocol the origin is believed to speak.
    var limit: Int {
        origin == .http2 ? configuration.maximumHTTP2ConnectionsPerOrigin : configuration.maximumConnectionsPerOrigin
    }

    /// Whether some connection could take a request right now.
    var hasRoom: Bool {
        connections.values.contains { connection in
            guard connection.established, !connection.goingAway, !isTooOld(connection) else { return false }
            return connection.running.count < (connection.isHTTP2 ? connection.maximumStreams : 1)
        }
    }

    func checkInvariants() throws(ModelViolation) {
        let statistics = pool.statistics
        let waiting = waitingCount
        var expected = PoolStatistics()
        expected.waitingRequests = waiting
        expected.startingConnections = startingCount
        for connection in connections.values where connection.established {
            if connection.goingAway { expected.goingAwayConnections += 1 }
            if connection.isHTTP2 {
                expected.http2Connections += 1
                expected.openStreams += connection.running.count
            } else if connection.running.isEmpty {
                expected.idleHTTP1Connections += 1
            } else {
                expected.busyHTTP1Connections += 1
            }
        }
        expected.isShutDown = shutdownCompleted
        if configuration.maximumConnectionAge != nil {
            expected.goingAwayConnections = statistics.goingAwayConnections  // retirement by age is internal
        }
        try check(statistics == expected, "pool reports \(statistics), driver sees \(expected)")

        for (id, state) in requests {
            let waitsWithTimer = state == .waiting && configuration.acquireTimeout != nil
            try check(waitsWithTimer == (acquireTimers[id] != nil),
                      "\(id) is \(state) with acquire timer \(String(describing: acquireTimers[id]))")
        }
        for id in acquireTimers.keys {
            try check(requests[id] == .waiting, "acquire timer left for \(id), which ended \(String(describing: outcomes[id]))")
        }
        for (id, connection) in connections where connection.established {
            try check(!(connection.goingAway && connection.isIdle), "\(id) is going away and idle but not closed")
            if shutdownRequested {
                try check(!connection.isIdle, "\(id) is idle but not closed during shutdown")
            }
            try check(connection.isIdle == (connection.idleDeadline != nil),
                      "\(id) idle: \(connection.isIdle), idle timer: \(String(describing: connection.idleDeadline))")
        }

        let maximum = max(configuration.maximumConnectionsPerOrigin, configuration.maximumHTTP2ConnectionsPerOrigin)
        try check(http1Count <= configuration.maximumConnectionsPerOrigin, "\(http1Count) HTTP/1.1 connections")
        try check(activeHTTP2Count(includingTooOld: false) <= configuration.maximumHTTP2ConnectionsPerOrigin,
                  "\(activeHTTP2Count(includingTooOld: false)) HTTP/2 connections accepting streams")
        try check(countedTowardsLimit(includingTooOld: false) <= maximum, "\(countedTowardsLimit(includingTooOld: false)) connections")
        if origin == .unknown {
            try check(startingCount <= 1 && connections.count == startingCount, "protocol unknown but \(connections.count) connections")
        }

        guard waiting > 0, !shutdownRequested else { return }
        try check(!hasRoom, "\(waiting) requests wait while a connection has room")
        guard backoffDeadline == nil else { return }
        let starting = startingCount
        let counted = countedTowardsLimit(includingTooOld: true)
        switch origin {
        case .unknown:
            try check(starting == 1, "\(waiting) requests wait for an unknown origin and nothing is starting")
        case .http1:
            let wanted = min(waiting, limit - (counted - starting))
            try check(starting >= wanted, "\(waiting) requests wait, \(starting) starting, \(counted) counted, limit \(limit)")
        case .http2:
            try check(starting >= 1 || counted >= limit, "\(waiting) requests wait for HTTP/2 and nothing is starting")
        }
    }
}
