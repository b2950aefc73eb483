// Scenarios for HTTP/1.1 connections: reuse, loop preference, limits, idle timeout, age.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolHTTP1Tests {
    @Test func firstRequestStartsAConnectionAndRunsWhenItIsEstablished() {
        var pool = Pool(configuration: .scenario())
        var action = pool.executeRequest(r(1), preferredLoop: loop(0), now: at(1))
        #expect(action == Pool.Action(requests: [.scheduleAcquireTimeout(r(1), deadline: at(31))],
                                      connections: [.create(c(0), on: loop(0))]))
        action = pool.connectionEstablished(c(0), protocol: .http1, now: at(1.5))
        #expect(action == Pool.Action(requests: [.execute(r(1), on: c(0)), .cancelAcquireTimeout(r(1))]))
        action = pool.requestFinished(on: c(0), reusable: true, now: at(2))
        #expect(action == Pool.Action(connections: [.scheduleIdleTimeout(c(0), deadline: at(52))]))
        action = pool.executeRequest(r(2), preferredLoop: nil, now: at(3))
        #expect(action == Pool.Action(requests: [.execute(r(2), on: c(0))], connections: [.cancelIdleTimeout(c(0))]))
        #expect(pool.statistics.busyHTTP1Connections == 1)
    }

    @Test func idleConnectionOnThePreferredLoopWinsThenTheMostRecentlyUsed() {
        var pool = Pool(configuration: .scenario())
        for n in 0..<3 {
            let action = pool.executeRequest(r(UInt64(n)), preferredLoop: loop(n), now: at(1))
            #expect(action.connections == [.create(c(UInt64(n)), on: loop(n))])
        }
        for n in 0..<3 {
            #expect(pool.connectionEstablished(c(UInt64(n)), protocol: .http1, now: at(1)).executed == [r(UInt64(n))])
        }
        // Released in the order c1, c0, c2: c2 is the most recently used.
        _ = pool.requestFinished(on: c(1), reusable: true, now: at(2))
        _ = pool.requestFinished(on: c(0), reusable: true, now: at(3))
        _ = pool.requestFinished(on: c(2), reusable: true, now: at(4))
        #expect(pool.executeRequest(r(10), preferredLoop: loop(1), now: at(5)).requests == [.execute(r(10), on: c(1))])
        #expect(pool.executeRequest(r(11), preferredLoop: loop(7), now: at(5)).requests == [.execute(r(11), on: c(2))])
        #expect(pool.executeRequest(r(12), preferredLoop: nil, now: at(5)).requests == [.execute(r(12), on: c(0))])
    }

    @Test func connectionsGrowWithWaitingRequestsUpToTheLimitThenRequestsQueueThenFail() {
        var pool = Pool(configuration: .scenario(connections: 2, pending: 3))
        #expect(pool.executeRequest(r(1), preferredLoop: nil, now: at(1)).created == [c(0)])
        #expect(pool.executeRequest(r(2), preferredLoop: nil, now: at(1)).created == [c(1)])
        let queued = pool.executeRequest(r(3), preferredLoop: nil, now: at(1))
        #expect(queued == Pool.Action(requests: [.scheduleAcquireTimeout(r(3), deadline: at(31))]))
        // r1 and r2 wait for their connections too, so the queue (3) is full now.
        let rejected = pool.executeRequest(r(4), preferredLoop: nil, now: at(1))
        #expect(rejected == Pool.Action(requests: [.fail(r(4), .tooManyPendingRequests)]))
        #expect(rejected.failed.first?.1.isTooManyPendingRequests == true)
        #expect(pool.statistics.waitingRequests == 3)
        #expect(pool.statistics.startingConnections == 2)
    }

    @Test func aFinishedRequestHandsItsConnectionToTheOldestWaitingRequest() {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(3), preferredLoop: nil, now: at(1))
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(2)).executed == [r(1)])
        let action = pool.requestFinished(on: c(0), reusable: true, now: at(3))
        // No idle timer: the connection goes straight to the next request.
        #expect(action == Pool.Action(requests: [.execute(r(2), on: c(0)), .cancelAcquireTimeout(r(2))]))
        #expect(pool.statistics.waitingRequests == 1)
    }

    @Test func aConnectionThatCannotBeReusedIsClosedAndReplacedForWaitingRequests() {
        var pool = Pool(configuration: .scenario(connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: loop(3), now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        let action = pool.requestFinished(on: c(0), reusable: false, now: at(3))
        #expect(action == Pool.Action(connections: [.close(c(0)), .create(c(1), on: loop(3))]))
        // The driver may still report the close; the pool has forgotten the connection.
        #expect(pool.connectionClosed(c(0), now: at(3)).isEmpty)
    }

    @Test func idleTimeoutClosesAnIdleConnectionAndLateTimersAreHarmless() {
        var pool = Pool(configuration: .scenario())
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(1))
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(2)).connections
            == [.scheduleIdleTimeout(c(0), deadline: at(52))])
        #expect(pool.executeRequest(r(2), preferredLoop: nil, now: at(51.9)).connections == [.cancelIdleTimeout(c(0))])
        // The cancelled timer fires anyway (it raced with the cancel): the connection is busy, nothing happens.
        #expect(pool.idleTimeoutFired(c(0), now: at(52)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(60)).connections
            == [.scheduleIdleTimeout(c(0), deadline: at(110))])
        // A timer firing before the current deadline is re-armed, not obeyed.
        #expect(pool.idleTimeoutFired(c(0), now: at(100)) == Pool.Action(connections: [.scheduleIdleTimeout(c(0), deadline: at(110))]))
        #expect(pool.idleTimeoutFired(c(0), now: at(110)) == Pool.Action(connections: [.close(c(0))]))
        #expect(pool.statistics.connections == 0)
        // The next request starts a new connection.
        #expect(pool.executeRequest(r(3), preferredLoop: nil, now: at(111)).created == [c(1)])
    }

    @Test func aConnectionPastItsMaximumAgeIsClosedOnReleaseAndSkippedWhenIdle() {
        var pool = Pool(configuration: .scenario(maximumAge: .seconds(10)))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http1, now: at(1))
        // Released while young: kept.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(5)).connections
            == [.scheduleIdleTimeout(c(0), deadline: at(55))])
        // Idle but too old when the next request comes: closed, and a fresh connection started.
        let action = pool.executeRequest(r(2), preferredLoop: nil, now: at(12))
        #expect(action == Pool.Action(requests: [.scheduleAcquireTimeout(r(2), deadline: at(42))],
                                      connections: [.close(c(0)), .create(c(1), on: nil)]))
        _ = pool.connectionEstablished(c(1), protocol: .http1, now: at(13))
        // Too old when its request finishes: closed instead of reused.
        #expect(pool.requestFinished(on: c(1), reusable: true, now: at(23)) == Pool.Action(connections: [.close(c(1))]))
    }
}
