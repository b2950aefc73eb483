// Scenarios for protocol discovery and HTTP/2 connections: streams, SETTINGS, GOAWAY, age, limits.
import CourierCore
import CourierPool
import Testing

@Suite struct PoolProtocolTests {
    @Test func withAnUnknownProtocolRequestsWaitForTheFirstConnectionThenHTTP1Grows() {
        var pool = Pool(configuration: .scenario(.automatic, connections: 3))
        #expect(pool.executeRequest(r(1), preferredLoop: loop(0), now: at(1)).created == [c(0)])
        for n in 2...4 {
            let action = pool.executeRequest(r(UInt64(n)), preferredLoop: n == 4 ? nil : loop(n - 1), now: at(1))
            #expect(action.connections.isEmpty, "request \(n) must wait behind the first connection")
        }
        let action = pool.connectionEstablished(c(0), protocol: .http1, now: at(2))
        #expect(action.executed == [r(1)])
        // Three requests wait; the limit leaves room for two more connections, on the waiting requests' loops.
        #expect(action.connections == [.create(c(1), on: loop(1)), .create(c(2), on: loop(2))])
        // Known HTTP/1.1 now: the normal rule applies (no room left, so the next request only waits).
        #expect(pool.executeRequest(r(5), preferredLoop: nil, now: at(3)).connections.isEmpty)
    }

    @Test func withAnUnknownProtocolAnHTTP2ConnectionTakesTheQueueUpToItsStreamLimit() {
        var pool = Pool(configuration: .scenario(.automatic, http2Connections: 2))
        for n in 1...5 { _ = pool.executeRequest(r(UInt64(n)), preferredLoop: n == 4 ? loop(4) : nil, now: at(1)) }
        let first = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 3), now: at(2))
        #expect(first.executed == [r(1), r(2), r(3)])
        // Two still wait and c0 is full: one more connection, for the oldest waiting request's loop.
        #expect(first.connections == [.create(c(1), on: loop(4))])
        #expect(pool.connectionEstablished(c(1), protocol: .http2(maximumStreams: 10), now: at(3)).executed == [r(4), r(5)])
        #expect(pool.statistics.openStreams == 5)
    }

    @Test func newStreamsPreferTheCallersLoopThenTheConnectionWithTheMostFreeStreams() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge, http2Connections: 2))
        for n in 1...4 { _ = pool.executeRequest(r(UInt64(n)), preferredLoop: loop(n < 4 ? 0 : 1), now: at(1)) }
        _ = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 3), now: at(1))  // r1-r3; c1 for r4
        _ = pool.connectionEstablished(c(1), protocol: .http2(maximumStreams: 10), now: at(1))  // r4, on loop 1
        // c0 (loop 0) is full: the stream goes to c1 even though the caller prefers loop 0.
        #expect(pool.executeRequest(r(5), preferredLoop: loop(0), now: at(2)).requests == [.execute(r(5), on: c(1))])
        _ = pool.requestFinished(on: c(0), reusable: true, now: at(3))
        // c0 has one free stream, c1 eight: the caller's loop wins.
        #expect(pool.executeRequest(r(6), preferredLoop: loop(0), now: at(4)).requests == [.execute(r(6), on: c(0))])
        // No preference: the connection with the most free streams.
        #expect(pool.executeRequest(r(7), preferredLoop: nil, now: at(4)).requests == [.execute(r(7), on: c(1))])
    }

    @Test func settingsThatRaiseTheStreamLimitStartWaitingRequestsAndLoweringItStopsNewOnes() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge, http2Connections: 1))
        for n in 1...4 { _ = pool.executeRequest(r(UInt64(n)), preferredLoop: nil, now: at(1)) }
        #expect(pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 1), now: at(1)).executed == [r(1)])
        #expect(pool.http2SettingsChanged(c(0), maximumStreams: 3).executed == [r(2), r(3)])
        #expect(pool.http2SettingsChanged(c(0), maximumStreams: 1).isEmpty)
        // Three streams open under a limit of one: r4 starts only when the last of them closes.
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(2)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(2)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(2)).executed == [r(4)])
    }

    @Test func aConnectionGoingAwayTakesNoNewStreamsIsReplacedAndClosesWhenDrained() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge, http2Connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.executeRequest(r(2), preferredLoop: nil, now: at(1))
        #expect(pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 10), now: at(1)).executed == [r(1), r(2)])
        #expect(pool.connectionGoingAway(c(0)).isEmpty)
        // c0 no longer counts against the limit of one: a replacement starts for the next request.
        #expect(pool.executeRequest(r(3), preferredLoop: nil, now: at(2))
            == Pool.Action(requests: [.scheduleAcquireTimeout(r(3), deadline: at(32))], connections: [.create(c(1), on: nil)]))
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(4)) == Pool.Action(connections: [.close(c(0))]))
        #expect(pool.statistics.connections == 1)
    }

    @Test func anHTTP2ConnectionIsIdleWhenItsLastStreamCloses() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 10), now: at(1))
        #expect(pool.executeRequest(r(2), preferredLoop: nil, now: at(2)).requests == [.execute(r(2), on: c(0))])
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(3)).isEmpty)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(4)).connections
            == [.scheduleIdleTimeout(c(0), deadline: at(54))])
        #expect(pool.executeRequest(r(3), preferredLoop: nil, now: at(5))
            == Pool.Action(requests: [.execute(r(3), on: c(0))], connections: [.cancelIdleTimeout(c(0))]))
    }

    @Test func anHTTP2ConnectionPastItsMaximumAgeDrainsThenCloses() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge, maximumAge: .seconds(10)))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        _ = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 10), now: at(1))
        let action = pool.executeRequest(r(2), preferredLoop: nil, now: at(12))
        #expect(action.executed.isEmpty)
        #expect(action.connections == [.create(c(1), on: nil)])
        #expect(pool.statistics.goingAwayConnections == 1)
        #expect(pool.requestFinished(on: c(0), reusable: true, now: at(13)) == Pool.Action(connections: [.close(c(0))]))
    }

    @Test func aConnectionEstablishedBeyondItsProtocolsLimitIsClosed() {
        // The origin switches from HTTP/1.1 to HTTP/2 while connections are starting.
        var pool = Pool(configuration: .scenario(.automatic, connections: 3, http2Connections: 1))
        for n in 1...3 { _ = pool.executeRequest(r(UInt64(n)), preferredLoop: nil, now: at(1)) }
        #expect(pool.connectionEstablished(c(0), protocol: .http1, now: at(2)).created == [c(1), c(2)])
        #expect(pool.connectionEstablished(c(1), protocol: .http2(maximumStreams: 5), now: at(2)).executed == [r(2), r(3)])
        #expect(pool.connectionEstablished(c(2), protocol: .http2(maximumStreams: 5), now: at(2))
            == Pool.Action(connections: [.close(c(2))]))
        #expect(pool.statistics.http2Connections == 1)
    }

    @Test func settingsBeforeTheConnectionIsEstablishedAreIgnored() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        #expect(pool.http2SettingsChanged(c(0), maximumStreams: 100).isEmpty)
        #expect(pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 100), now: at(2)).executed == [r(1)])
    }

    @Test func aPeerAnnouncingZeroStreamsLeavesRequestsWaitingUntilSettingsAllowThem() {
        var pool = Pool(configuration: .scenario(.http2PriorKnowledge, http2Connections: 1))
        _ = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        let action = pool.connectionEstablished(c(0), protocol: .http2(maximumStreams: 0), now: at(1))
        #expect(action.executed.isEmpty)
        #expect(action.connections == [.scheduleIdleTimeout(c(0), deadline: at(51))])
        #expect(pool.http2SettingsChanged(c(0), maximumStreams: 100)
            == Pool.Action(requests: [.execute(r(1), on: c(0)), .cancelAcquireTimeout(r(1))],
                           connections: [.cancelIdleTimeout(c(0))]))
    }
}
