import CourierCore
import Testing
@testable import CourierHTTP2

/// Receive-side flow control (RFC 9113 §5.2, §6.9): credit is returned as the application
/// consumes DATA, half a window at a time, so a reader that stops consuming stops the peer.
@Suite struct HTTP2FlowControlTests {
    static var small: HTTP2Configuration {
        var configuration = HTTP2Configuration()
        configuration.initialWindowSize = 100_000
        configuration.connectionWindowSize = 300_000
        return configuration
    }

    /// A client with stream 1 open and its response head received.
    static func receiving() -> Peer {
        var peer = Peer.client(Self.small)
        peer.open(flush: true)
        _ = peer.feed(H2.headers(1, [(":status", "200")]))
        return peer
    }

    @Test func section6_9_noCreditIsReturnedUntilTheApplicationConsumes() {
        var peer = Self.receiving()
        for _ in 0..<6 { _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 16000))) }
        #expect(peer.sent().windowUpdates.isEmpty)
        #expect(peer.connection.streams[1]!.receiveWindow == 100_000 - 96000)
    }

    @Test func section6_9_creditGoesBackHalfAWindowAtATime() {
        var peer = Self.receiving()
        for _ in 0..<6 { _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 16000))) }
        peer.connection.consumed(1, bytes: 49_999)
        #expect(peer.sent().windowUpdates.isEmpty)
        peer.connection.consumed(1, bytes: 1)
        #expect(peer.sent().windowUpdates.map { "\($0.0) \($0.1)" } == ["1 50000"])
        peer.connection.consumed(1, bytes: 46_000)
        #expect(peer.sent().windowUpdates.isEmpty, "the connection owes 96000 of 150000")
        for _ in 0..<3 { _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 16000))) }
        peer.connection.consumed(1, bytes: 48_000)
        #expect(peer.sent().windowUpdates.map { "\($0.0) \($0.1)" } == ["1 94000"])
        _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 16000)))
        peer.connection.consumed(1, bytes: 16_000)
        #expect(peer.sent().windowUpdates.map { "\($0.0) \($0.1)" } == ["0 160000"])
        #expect(peer.connection.streams[1]!.receiveWindow == 84_000)
        #expect(peer.connection.connectionReceiveWindow == 300_000)
    }

    @Test func section6_9_dataConsumedAfterTheStreamClosedStillReturnsConnectionCredit() {
        var peer = Self.receiving()
        for _ in 0..<9 { _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 16000))) }
        _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 6000), endStream: true))
        #expect(peer.connection.state(of: 1) == .closed)
        peer.connection.consumed(1, bytes: 150_000)
        #expect(peer.sent().windowUpdates.map { "\($0.0) \($0.1)" } == ["0 150000"])
    }

    @Test func section6_9_consumingMoreThanWasReceivedNeverOverflowsAWindow() {
        var peer = Self.receiving()
        _ = peer.feed(H2.data(1, [UInt8](repeating: 1, count: 1000)))
        peer.connection.consumed(1, bytes: 10_000_000)
        let updates = peer.sent().windowUpdates
        #expect(updates.map { "\($0.0) \($0.1)" } == ["0 1000", "1 1000"])
        #expect(peer.connection.streams[1]!.receiveWindow == 100_000)
        peer.connection.consumed(99, bytes: 5)  // an unknown stream: only the connection is credited
        #expect(!peer.connection.isClosed)
    }

    @Test func section6_9_3_ourInitialWindowAppliesOnceAcknowledged() {
        // Before the ACK the peer may use the protocol's 65,535; after it, our 100,000.
        var peer = Peer.client(Self.small, handshake: false)
        _ = peer.feed(H2.settings())
        peer.open(flush: true)
        #expect(peer.connection.streams[1]!.receiveWindow == 65535)
        _ = peer.feed(H2.settings(ack: true))
        #expect(peer.connection.streams[1]!.receiveWindow == 100_000)
        #expect(peer.connection.localSettings.initialWindowSize == 100_000)
    }
}
