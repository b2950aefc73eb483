// Scenarios for shutdown: the queue fails, idle connections close at once, busy ones when they finish.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolShutdownTests {
    @Test func anEmptyPoolShutsDownAtOnce() {
        var pool = Pool(configuration: .scenario())
        #expect(pool.shutdown() == Pool.Action(connections: [.shutdownComplete]))
        #expect(pool.statistics.isShutDown)
        #expect(pool.shutdown().isEmpty)
        #expect(pool.executeRequest(r(1), preferredLoop: nil, now: at(1)) == Pool.Action(requests: [.fail(r(1), .shutdown)]))
    }

    @Test func shutdownFailsWaitingRequestsAndWaitsForBusyAndStartingConnections() {
        var pool = Pool(configuration: .scenario(connections: 2))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(3), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))  // r1 runs; c1 still starting
        let action = pool.shutdown()
        #expect(action == Pool.Action(requests: [.fail(r(2), .shutdown), .cancelAcquireTimeout(r(2)),
                                                 .fail(r(3), .shutdown), .cancelAcquireTimeout(r(3))]))
        #expect(action.failed.allSatisfy { $0.1.isShutdown })
        #expect(pool.executeRequest(r(4), preferredLoop: nil, now: at(3)).failed.map(\.0) == [r(4)])
        // The busy connection closes when its request finishes, however reusable it is.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(4)) == Pool.Action(connections: [.close(c(0))]))
        // The starting connection is closed as soon as it is established; then shutdown is complete.
        #expect(pool.connectionEstablished(c(1), protocol: .http1, now: at(5))
            == Pool.Action(connections: [.close(c(1)), .shutdownComplete]))
    }

    @Test func shutdownClosesIdleConnectionsAtOnce() {
        var pool = Pool(configuration: .scenario())
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        _ = pool.connectionEstablished(c(1), protocol: .http1, now: at(2))
        _ = pool.requestFinished(on: c(0), reusable: true, now: at(3))
        _ = pool.requestFinished(on: c(1), reusable: true, now: at(3))
        #expect(pool.shutdown() == Pool.Action(connections: [.close(c(0)), .close(c(1)), .shutdownComplete]))
    }

    @Test func aFailedAttemptDuringShutdownCompletesItWithoutBackoff() {
        var pool = Pool(configuration: .scenario())
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.shutdown()
        #expect(pool.connectionFailed(c(0), error: ConnectRefused(), now: at(2)) == Pool.Action(connections: [.shutdownComplete]))
        #expect(pool.backoffFinished(now: at(3)).isEmpty)
    }

    @Test func http2ConnectionsCloseWhenTheirLastStreamFinishes() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 10), now: at(2))
        #expect(pool.shutdown().isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3))
            == Pool.Action(connections: [.close(c(0)), .shutdownComplete]))
    }

    @Test func aConnectionClosedByThePeerDuringShutdownCountsAsGone() {
        var pool = Pool(configuration: .scenario())
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        _ = pool.shutdown()
        #expect(pool.connectionClosed(c(0), now: at(3)) == Pool.Action(connections: [.shutdownComplete]))
    }
}
