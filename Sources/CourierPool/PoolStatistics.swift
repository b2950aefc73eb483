/// A snapshot of one pool's occupancy, for metrics and tests.
public struct PoolStatistics: Hashable, Sendable, CustomStringConvertible {
    /// Requests waiting for a connection or stream.
    public var waitingRequests = 0
    /// Connections being established.
    public var startingConnections = 0
    /// Established HTTP/1.1 connections with nothing running.
    public var idleHTTP1Connections = 0
    /// Established HTTP/1.1 connections running a request.
    public var busyHTTP1Connections = 0
    /// Established HTTP/2 connections, including those going away.
    public var http2Connections = 0
    /// Streams open on HTTP/2 connections.
    public var openStreams = 0
    /// Connections taking no new requests and waiting for their running ones to finish.
    public var goingAwayConnections = 0
    /// Whether shutdown has finished.
    public var isShutDown = false

    /// An empty snapshot.
    public init() {}

    /// Every connection the pool holds, in any state.
    public var connections: Int {
        startingConnections + idleHTTP1Connections + busyHTTP1Connections + http2Connections
    }

    public var description: String {
        "waiting \(waitingRequests), starting \(startingConnections), http1 idle \(idleHTTP1Connections) "
            + "busy \(busyHTTP1Connections), http2 \(http2Connections) (streams \(openStreams)), "
            + "going away \(goingAwayConnections)\(isShutDown ? ", shut down" : "")"
    }
}

extension ConnectionPoolStateMachine {
    /// The pool's current occupancy (computed by a walk over the connections: for metrics, not per request).
    public var statistics: PoolStatistics {
        var statistics = PoolStatistics()
        statistics.waitingRequests = queue.count
        statistics.isShutDown = lifecycle == .shutDown
        for connection in connections.all {
            if connection.goingAway { statistics.goingAwayConnections += 1 }
            switch connection.state {
            case .starting: statistics.startingConnections += 1
            case .http1(let leased):
                if leased { statistics.busyHTTP1Connections += 1 } else { statistics.idleHTTP1Connections += 1 }
            case .http2(let open, _):
                statistics.http2Connections += 1
                statistics.openStreams += open
            }
        }
        return statistics
    }
}
