import Testing
import CourierCore
import CourierTestSupport
@testable import CourierTransport

@Suite struct BodyStreamTests {
    final class Log: Sendable {
        let consumed = Locked<[Int]>([])
        let cancels = Locked(0)
    }

    @Test func deliversChunksInOrderThenEnds() async throws {
        let stream = BodyStream()
        stream.yield(ByteBuffer(string: "a"))
        stream.yield(ByteBuffer(string: "bc"))
        stream.finish()
        var collected = ""
        while let chunk = try await stream.next() { collected += String(buffer: chunk) }
        #expect(collected == "abc")
        #expect(try await stream.next() == nil)
    }

    @Test func chunksYieldedWhileOthersAreQueuedKeepTheirOrder() async throws {
        let stream = BodyStream()
        var taken = ""
        stream.yield(ByteBuffer(string: "a"))
        stream.yield(ByteBuffer(string: "b"))
        taken += try await stream.next().map { String(buffer: $0) } ?? "-"
        stream.yield(ByteBuffer(string: "c"))
        stream.yield(ByteBuffer(string: "d"))
        for _ in 0..<2 { taken += try await stream.next().map { String(buffer: $0) } ?? "-" }
        stream.yield(ByteBuffer(string: "e"))
        for _ in 0..<2 { taken += try await stream.next().map { String(buffer: $0) } ?? "-" }
        #expect(stream.bufferedBytes == 0)
        stream.yield(ByteBuffer(string: "f"))
        #expect(stream.bufferedBytes == 1)
        stream.finish()
        while let chunk = try await stream.next() { taken += String(buffer: chunk) }
        #expect(taken == "abcdef")
    }

    @Test func readyChunksAreTakenWithoutWaiting() throws {
        let stream = BodyStream()
        #expect(stream.nextIfReady() == nil)
        stream.yield(ByteBuffer(string: "ab"))
        #expect(try stream.nextIfReady()?.get().map { String(buffer: $0) } == "ab")
        #expect(stream.nextIfReady() == nil)
        stream.finish()
        #expect(try stream.nextIfReady()?.get() == .some(nil))
        let failing = BodyStream()
        failing.fail(CancellationError())
        #expect(throws: CancellationError.self) { try failing.nextIfReady()?.get() }
    }

    @Test func waitingConsumerIsResumedByTheProducer() async throws {
        let stream = BodyStream()
        async let first = withTimeout { try await stream.next() }
        try await Task.sleep(for: .milliseconds(10))
        stream.yield(ByteBuffer(string: "late"))
        #expect(try await first.map { String(buffer: $0) } == "late")
    }

    @Test func producerIsPausedAboveTheHighWatermarkAndResumedBelowTheLow() async throws {
        let log = Log()
        let stream = BodyStream(highWatermark: 100, lowWatermark: 40, consumedReportThreshold: 1_000_000)
        stream.setCallbacks(onConsumed: { bytes in log.consumed.withLock { $0.append(bytes) } }, onCancel: nil)
        var demands: [BodyStream.Demand] = []
        for _ in 0..<5 { demands.append(stream.yield(ByteBuffer(repeating: 1, count: 30))) }
        #expect(demands.map { $0 == .pause } == [false, false, false, true, true])
        _ = try await stream.next()   // 120 left: still above the low watermark
        _ = try await stream.next()   // 90
        #expect(log.consumed.withLock { $0 }.isEmpty)
        _ = try await stream.next()   // 60
        _ = try await stream.next()   // 30: below the low watermark, report everything taken
        #expect(log.consumed.withLock { $0 } == [120])
    }

    @Test func consumptionIsReportedInBatches() async throws {
        let log = Log()
        let stream = BodyStream(consumedReportThreshold: 100)
        stream.setCallbacks(onConsumed: { bytes in log.consumed.withLock { $0.append(bytes) } }, onCancel: nil)
        for _ in 0..<10 { stream.yield(ByteBuffer(repeating: 2, count: 30)) }
        for _ in 0..<10 { _ = try await stream.next() }
        #expect(log.consumed.withLock { $0 } == [120, 120])
    }

    @Test func failureArrivesAfterTheQueuedChunks() async throws {
        struct Boom: Error {}
        let stream = BodyStream()
        stream.yield(ByteBuffer(string: "x"))
        stream.fail(Boom())
        #expect(try await stream.next() == ByteBuffer(string: "x"))
        await #expect(throws: Boom.self) { try await stream.next() }
    }

    @Test func cancellingTheWaitingTaskCancelsTheStreamOnce() async throws {
        let log = Log()
        let stream = BodyStream()
        stream.setCallbacks(onConsumed: nil, onCancel: { log.cancels.withLock { $0 += 1 } })
        let task = Task { try await stream.next() }
        try await Task.sleep(for: .milliseconds(10))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await withTimeout { try await task.value } }
        stream.cancel()
        #expect(log.cancels.withLock { $0 } == 1)
        #expect(stream.isCancelled)
        #expect(stream.yield(ByteBuffer(string: "ignored")) == .more)
        #expect(stream.bufferedBytes == 0)
    }
}

extension ByteBuffer {
    init(repeating byte: UInt8, count: Int) {
        self.init(capacity: count)
        writeRepeating(byte, count: count)
    }
}
