// Scenarios for failed connection attempts, backoff, acquire timeouts and cancellation.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolFailureTests {
    @Test func aFailedAttemptWithNothingElseOpenFailsTheWaitingRequestsAndBacksOff() throws {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        let action = pool.connectionFailed(c(0), error: ConnectRefused(), now: at(2))
        #expect(action.requests == [.fail(r(1), .connectFailed(ConnectRefused())), .cancelAcquireTimeout(r(1)),
                                    .fail(r(2), .connectFailed(ConnectRefused())), .cancelAcquireTimeout(r(2))])
        #expect(action.connections == [.scheduleBackoff(deadline: at(2.1))])
        let error = try #require(action.failed.first?.1)
        #expect(error.isConnectFailed && error.underlying is ConnectRefused)
        // During the backoff a new request waits without a connection attempt.
        #expect(pool.executeRequest(r(3), preferredLoop: nil, now: at(2.05)).connections.isEmpty)
        // A timer firing early is re-armed; at the deadline a connection is started.
        #expect(pool.backoffFinished(now: at(2.05)) == Pool.Action(connections: [.scheduleBackoff(deadline: at(2.1))]))
        #expect(pool.backoffFinished(now: at(2.1)).created == [c(1)])
    }

    @Test func failFastAfterSeveralFailuresCountsTheFailuresEachRequestHasSeen() {
        var pool = Pool(configuration: .scenario(connections: 1, failFastAfter: 3))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        #expect(pool.connectionFailed(c(0), error: ConnectRefused(), now: at(1)).failed.isEmpty)
        #expect(pool.backoffFinished(now: at(1.1)).created == [c(1)])
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1.2))
        let second = pool.connectionFailed(c(1), error: ConnectRefused(), now: at(1.5))
        #expect(second == Pool.Action(connections: [.scheduleBackoff(deadline: at(1.7))]))
        #expect(pool.backoffFinished(now: at(1.7)).created == [c(2)])
        // r1 has now seen three failures in a row, r2 two: only r1 fails.
        let third = pool.connectionFailed(c(2), error: ConnectRefused(), now: at(2))
        #expect(third.failed.map(\.0) == [r(1)])
        #expect(third.connections == [.scheduleBackoff(deadline: at(2.4))])
        #expect(pool.statistics.waitingRequests == 1)
    }

    @Test func aFailedAttemptWhileAnotherConnectionIsOpenKeepsRequestsWaiting() {
        var pool = Pool(configuration: .scenario(connections: 2))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(3), preferredLoop: nil, now: at(1))
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(1)).executed == [r(1)])
        let failure = pool.connectionFailed(c(1), error: ConnectRefused(), now: at(2))
        #expect(failure == Pool.Action(connections: [.scheduleBackoff(deadline: at(2.1))]))
        // The open connection serves the queue; the backoff holds back new attempts.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(2.05)).executed == [r(2)])
        #expect(pool.backoffFinished(now: at(2.1)).created == [c(2)])
    }

    @Test func anAbandonedAttemptIsNotAFailureAndIdleConnectionsCanBeEvicted() {
        var pool = Pool(configuration: .scenario(connections: 2))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(1)).executed == [r(1)])
        _ = pool.requestFinished(on: c(0), reusable: true, now: at(1.1))   // serves r2
        _ = pool.requestFinished(on: c(0), reusable: true, now: at(1.2))
        #expect(!pool.hasWaitingRequests)
        // The second attempt is no longer needed: dropped without a backoff or failed request.
        #expect(pool.connectionAbandoned(c(1), now: at(1.3)) == Pool.Action())
        #expect(pool.connectionAbandoned(c(1), now: at(1.3)) == Pool.Action())
        #expect(pool.statistics.waitingRequests == 0)
        // The idle connection is closed for another origin; with nothing idle, nothing happens.
        let evicted = pool.evictIdleConnection(now: at(1.4))
        #expect(evicted.connections.contains(.close(c(0))))
        #expect(pool.evictIdleConnection(now: at(1.5)) == Pool.Action())
        // A later request starts a new connection at once (no backoff was armed).
        #expect(pool.executeRequest(r(3), preferredLoop: nil, now: at(1.6)).created == [c(2)])
    }

    @Test func backoffGrowsWithEachFailureInARowAndStartsOverAfterASuccess() {
        var pool = Pool(configuration: .scenario(connections: 1, acquireTimeout: nil, failFastAfter: 100))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(0))
        var now = 0.0
        for (attempt, expected) in [0.1, 0.2, 0.4, 0.8].enumerated() {
            let action = pool.connectionFailed(c(UInt64(attempt)), error: ConnectRefused(), now: at(now))
            #expect(action.connections == [.scheduleBackoff(deadline: at(now + expected))])
            now += expected
            #expect(pool.backoffFinished(now: at(now)).created == [c(UInt64(attempt + 1))])
        }
        _ = pool.connectionEstablished(c(4), protocol: .http1, now: at(now))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(now))
        _ = pool.executeRequest(r(3), preferredLoop: nil, now: at(now))
        _ = pool.connectionClosed(c(4), now: at(now))  // c5 starts for r2 and r3
        #expect(pool.connectionFailed(c(5), error: ConnectRefused(), now: at(now)).connections
            == [.scheduleBackoff(deadline: at(now + 0.1))])

        let backoff = ConnectionPoolConfiguration.ConnectBackoff()
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 7) == .milliseconds(6_400))
        #expect(backoff.delay(afterFailures: 8) == .seconds(10))
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(10))
        #expect(ConnectionPoolConfiguration.ConnectBackoff(maximum: .seconds(Int64.max)).delay(afterFailures: 100)
            == .nanoseconds(Int64.max))
    }

    @Test func aRequestWaitingPastItsAcquireTimeoutFailsWithTheLastConnectionError() throws {
        var pool = Pool(configuration: .scenario(connections: 1, failFastAfter: 2))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionFailed(c(0), error: ConnectRefused(), now: at(2))
        let action = pool.acquireTimeoutFired(r(1), now: at(31))
        #expect(action == Pool.Action(requests: [.fail(r(1), .acquireTimeout())]))
        let error = try #require(action.failed.first?.1)
        #expect(error.isAcquireTimeout && error.underlying is ConnectRefused)
        // Late: the request is gone.
        #expect(pool.acquireTimeoutFired(r(1), now: at(32)).isEmpty)
        #expect(pool.statistics.waitingRequests == 0)
    }

    @Test func aRequestThatGotAConnectionIgnoresItsAcquireTimer() {
        var pool = Pool(configuration: .scenario())
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        #expect(pool.acquireTimeoutFired(r(1), now: at(31)).isEmpty)
    }

    @Test func cancellingAWaitingRequestForgetsItAndAnExecutingOneIsLeftToTheDriver() {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        #expect(pool.cancelRequest(r(2)) == Pool.Action(requests: [.cancelAcquireTimeout(r(2))]))
        #expect(pool.cancelRequest(r(2)).isEmpty)
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        #expect(pool.cancelRequest(r(1)).isEmpty)
        // r2 is not executed when the connection frees up.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3)).executed.isEmpty)
    }

    @Test func withoutAnAcquireTimeoutNoTimersAreScheduled() {
        var pool = Pool(configuration: .scenario(acquireTimeout: nil))
        #expect(pool.executeRequest(r(1), preferredLoop: nil, now: at(1)).requests.isEmpty)
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(2)).requests == [.execute(r(1), on: c(0))])
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(3))
        #expect(pool.cancelRequest(r(2)).isEmpty)
    }

    @Test func aConnectionClosedWhileBusyIsReplacedForWaitingRequests() {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: loop(5), now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        #expect(pool.connectionClosed(c(0), now: at(3)) == Pool.Action(connections: [.create(c(1), on: loop(5))]))
        // Whatever the driver reports later about c0 is ignored.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3)).isEmpty)
        #expect(pool.connectionGoingAway(c(0)).isEmpty)
        #expect(pool.idleTimeoutFired(c(0), now: at(60)).isEmpty)
    }

    @Test func lateReportsAboutAConnectionClosedWhileStartingAreHarmless() {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        // Closed before it was established (should have been a failure): a replacement starts at once.
        #expect(pool.connectionClosed(c(0), now: at(2)) == Pool.Action(connections: [.create(c(1), on: nil)]))
        // Late reports about c0: a failure is ignored, an establishment gets the connection closed.
        #expect(pool.connectionFailed(c(0), error: ConnectRefused(), now: at(3)).isEmpty)
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(3)) == Pool.Action(connections: [.close(c(0))]))
        #expect(pool.connectionEstablished(c(1), protocol: .http1, now: at(4)).executed == [r(1)])
        #expect("\(pool.statistics)" == "waiting 0, starting 0, http1 idle 0 busy 1, http2 0 (streams 0), going away 0")
    }
}
