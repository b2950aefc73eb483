// Tests of the pool's building blocks: the waiting queue, the action list, errors and configuration.
import CourierCore
@testable import CourierPool
import Testing

@Suite struct PoolPartsTests {
    private func entry(_ n: UInt64) -> PendingRequestQueue.Entry {
        .init(id: r(n), preferredLoop: loop(Int(n % 3)), failureMark: 0)
    }

    @Test func theQueueIsFirstInFirstOutAndRemovesFromTheMiddle() {
        var queue = PendingRequestQueue()
        for n: UInt64 in 0..<5 { queue.push(entry(n)) }
        #expect(queue.remove(r(2))?.id == r(2))
        #expect(queue.remove(r(2)) == nil)
        #expect(queue.remove(r(0))?.id == r(0))
        #expect(queue.first?.id == r(1))
        #expect(queue.preferredLoops(skipping: 1, limit: 5) == [loop(0), loop(1)])
        #expect(queue.popFirst()?.id == r(1))
        #expect(queue.count == 2 && queue.contains(r(3)) && !queue.contains(r(1)))
        #expect(queue.removeAll().map(\.id) == [r(3), r(4)])
        #expect(queue.isEmpty && queue.first == nil && queue.popFirst() == nil)
    }

    @Test func theQueueKeepsItsOrderAcrossCompactions() {
        // A head that waits long while thousands arrive and give up behind it, then a steady stream.
        var queue = PendingRequestQueue()
        var model: [UInt64] = []
        var next: UInt64 = 0
        for round in 0..<20_000 {
            queue.push(entry(next))
            model.append(next)
            next += 1
            if round % 3 == 0, model.count > 1 {
                let victim = model.remove(at: 1 + round % (model.count - 1))
                #expect(queue.remove(r(victim)) != nil)
            }
            if round % 5 == 0 {
                #expect(queue.popFirst()?.id == r(model.removeFirst()))
            }
            if round % 1000 == 0 {
                #expect(queue.count == model.count)
                #expect(queue.storageCount <= 2 * queue.count + 33)
                #expect(queue.first?.id == model.first.map { r($0) })
            }
        }
        #expect(queue.removeAll().map(\.id) == model.map { r($0) })
    }

    @Test func actionListsStoreTwoInlineAndMoreInAnArray() {
        var list = ActionList<Int>()
        #expect(list.isEmpty && list.description == "[]")
        for n in 0..<5 { list.append(n) }
        #expect(Array(list) == [0, 1, 2, 3, 4])
        #expect(list == [0, 1, 2, 3, 4] && list != [0, 1, 2, 3])
        var other: ActionList<Int> = [7]
        other.append(contentsOf: list)
        #expect(other.count == 6 && other[5] == 4 && other.description == "[7, 0, 1, 2, 3, 4]")
    }

    @Test func poolErrorsCompareByCodeAndDescribeTheirCause() {
        let refused = PoolError.connectFailed(ConnectRefused())
        #expect(refused == .connectFailed(SimulatedConnectError(connection: c(1))))
        #expect(refused != .shutdown)
        #expect(refused.isConnectFailed && !refused.isShutdown && refused.code == .connectFailed)
        #expect(PoolError.tooManyPendingRequests.isTooManyPendingRequests && PoolError.shutdown.isShutdown)
        #expect(PoolError.acquireTimeout().underlying == nil)
        #expect("\(PoolError.shutdown)" == "shutdown")
        #expect("\(refused)" == "connectFailed: ConnectRefused()")
    }

    @Test func configurationDefaultsAndNormalisation() {
        let defaults = ConnectionPoolConfiguration()
        #expect(defaults.maximumConnectionsPerOrigin == 8 && defaults.maximumHTTP2ConnectionsPerOrigin == 4)
        #expect(defaults.maximumPendingRequests == 10_000 && defaults.acquireTimeout == .seconds(30))
        #expect(defaults.idleTimeout == .seconds(50) && defaults.maximumConnectionAge == nil)
        #expect(defaults.failFastAfterFailures == 1 && defaults.preferredProtocol == .automatic)
        let pool = ConnectionPoolStateMachine(configuration: .init(
            maximumConnectionsPerOrigin: 0, maximumHTTP2ConnectionsPerOrigin: -1,
            maximumPendingRequests: -5, failFastAfterFailures: 0))
        #expect(pool.configuration.maximumConnectionsPerOrigin == 1)
        #expect(pool.configuration.maximumHTTP2ConnectionsPerOrigin == 1)
        #expect(pool.configuration.maximumPendingRequests == 0)
        #expect(pool.configuration.failFastAfterFailures == 1)
    }

    @Test func aPoolWithNoRoomForWaitingRequestsRejectsWhatItCannotRunAtOnce() {
        var pool = ConnectionPoolStateMachine(configuration: .scenario(pending: 0))
        let action = pool.executeRequest(r(1), preferredLoop: nil, now: at(1))
        #expect(action == Pool.Action(requests: [.fail(r(1), .tooManyPendingRequests)]))
    }
}
