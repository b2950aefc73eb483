import Testing
@testable import CourierHTTP2

/// The stream table's open-addressing index against a dictionary model, through growth and
/// removals in every order.
@Suite struct HTTP2StreamTableTests {
    @Test func randomInsertsAndRemovalsMatchAModel() {
        var table = HTTP2StreamTable(role: .client, recentlyResetCapacity: 4)
        var model: [UInt32: Int] = [:]
        var random = SystemRandomNumberGenerator()
        var next: UInt32 = 1
        for step in 0..<20_000 {
            if model.isEmpty || (Int.random(in: 0..<3, using: &random) > 0 && model.count < 300) {
                let id = HTTP2StreamID(next)
                next += 2 * UInt32.random(in: 1...3, using: &random)
                var record = HTTP2StreamRecord(id: id, state: .open, sendWindow: step, receiveWindow: 0, inbound: .body)
                record.remainingContentLength = step
                table.insert(record)
                model[id.rawValue] = step
            } else {
                let id = model.keys.randomElement(using: &random)!
                let removed = table.remove(HTTP2StreamID(id), resetLocally: Bool.random(using: &random))
                #expect(removed?.sendWindow == model[id])
                model[id] = nil
            }
            if step % 97 == 0 {
                #expect(table.count == model.count && table.localCount == model.count)
                for (id, value) in model { #expect(table[HTTP2StreamID(id)]?.remainingContentLength == value) }
                #expect(table.ids == model.keys.sorted().map { HTTP2StreamID($0) })
            }
            #expect(!table.contains(HTTP2StreamID(next)))
        }
    }

    @Test func recordsAreModifiedInPlace() {
        var table = HTTP2StreamTable(role: .server, recentlyResetCapacity: 2)
        table.insert(HTTP2StreamRecord(id: 1, state: .open, sendWindow: 10, receiveWindow: 20, inbound: .body))
        table[active: 1].sendWindow -= 4
        #expect(table[1]?.sendWindow == 6 && table.peerCount == 1)
        table.remove(1, resetLocally: true)
        table.rememberReset(3)
        table.rememberReset(5)
        #expect(!table.wasRecentlyReset(1) && table.wasRecentlyReset(3) && table.wasRecentlyReset(5))
        #expect(table.isEmpty && table.peerCount == 0)
    }
}
