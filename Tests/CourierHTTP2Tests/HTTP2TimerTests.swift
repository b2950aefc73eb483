import CourierCore
import Testing
@testable import CourierHTTP2

/// Time as an input: keep-alive PINGs and their timeout, and the deadlines the connection reports.
@Suite struct HTTP2TimerTests {
    static var keepAlive: HTTP2Configuration {
        var configuration = HTTP2Configuration()
        configuration.keepAlive = .init(interval: .seconds(30), timeout: .seconds(5))
        return configuration
    }

    @Test func anIdleConnectionIsPingedAndAnAnswerKeepsItAlive() {
        var peer = Peer.client(Self.keepAlive)
        _ = peer.advance(by: .seconds(10))  // the SETTINGS counter window passes
        #expect(peer.connection.nextDeadline == Timestamp(nanoseconds: 1_000_000_000) + .seconds(30))
        #expect(peer.advance(by: .seconds(20)).isEmpty)
        let sent = peer.sent()
        guard case .ping(let ping) = sent.first?.payload, !ping.ack else { Issue.record("\(sent)"); return }
        #expect(peer.connection.nextDeadline == peer.now + .seconds(5))
        #expect(peer.feed(H2.ping(ping.data.rawValue, ack: true)).described == ["pingAck \(ping.data)"])
        #expect(peer.advance(by: .seconds(5)).isEmpty && !peer.connection.isClosed)
    }

    @Test func anUnansweredKeepAlivePingFailsTheConnection() {
        var peer = Peer.client(Self.keepAlive)
        _ = peer.advance(by: .seconds(30))
        #expect(peer.sent().contains { if case .ping = $0.payload { true } else { false } })
        let events = peer.advance(by: .seconds(5))
        #expect(events.connectionError?.code == .keepAliveTimeout && events.connectionError?.origin == .library)
        #expect(peer.sent().goAway?.errorCode == .noError)
    }

    @Test func trafficPostponesTheKeepAlivePing() {
        var peer = Peer.client(Self.keepAlive)
        for _ in 0..<5 {
            _ = peer.advance(by: .seconds(20))
            _ = peer.feed(H2.ping(1, ack: true))
        }
        _ = peer.advance(by: .seconds(1))
        #expect(!peer.sent().contains { if case .ping(let ping) = $0.payload { !ping.ack } else { false } })
    }

    @Test func withoutKeepAliveNothingIsScheduledOnceCountersExpire() {
        var peer = Peer.client()
        _ = peer.advance(by: .seconds(10))
        #expect(peer.connection.nextDeadline == nil)
        #expect(peer.advance(by: .seconds(3600)).isEmpty && peer.sent().isEmpty)
    }

    @Test func timeNeverRunsBackwards() {
        var peer = Peer.client(handshake: false)
        peer.connection.timeTick(now: .zero)
        #expect(peer.connection.now == Timestamp(nanoseconds: 1_000_000_000))
        #expect(peer.drain().isEmpty)
    }
}
