import CourierCore
import CourierHPACK
@testable import CourierHTTP2

/// A client and a server connection wired back to back in memory: `run()` moves bytes both ways
/// until both are quiet, collecting each side's events.
struct Pair {
    var client: HTTP2Connection
    var server: HTTP2Connection
    var clientEvents: [HTTP2Event] = []
    var serverEvents: [HTTP2Event] = []
    /// Splits each transfer into chunks of at most this size (to mix up frame boundaries).
    var chunkSize = Int.max
    var bytesMoved = 0

    init(client: HTTP2Configuration = HTTP2Configuration(), server: HTTP2Configuration = HTTP2Configuration()) {
        self.client = HTTP2Connection(role: .client, configuration: client, now: .zero)
        self.server = HTTP2Connection(role: .server, configuration: server, now: .zero)
        run()
    }

    mutating func request(_ fields: [(String, String)], endStream: Bool) -> HTTP2StreamID {
        try! client.openStream(H2.list(fields), endStream: endStream).id
    }

    /// Moves bytes until neither side has output; returns how many rounds it took.
    @discardableResult
    mutating func run(maxRounds: Int = 10_000) -> Int {
        for round in 0..<maxRounds {
            var toServer = ByteBuffer()
            client.flushOutput(into: &toServer)
            var toClient = ByteBuffer()
            server.flushOutput(into: &toClient)
            if toServer.readableBytes == 0 && toClient.readableBytes == 0 {
                drain()
                if !client.hasPendingOutput && !server.hasPendingOutput { return round }
                continue
            }
            bytesMoved += toServer.readableBytes + toClient.readableBytes
            deliver(&toServer, toClient: false)
            deliver(&toClient, toClient: true)
        }
        preconditionFailure("the pair did not settle")
    }

    private mutating func deliver(_ bytes: inout ByteBuffer, toClient: Bool) {
        while bytes.readableBytes > 0 {
            let chunk = bytes.readSlice(length: min(chunkSize, bytes.readableBytes))!
            if toClient { client.receive(chunk) } else { server.receive(chunk) }
            drain()
        }
    }

    private mutating func drain() {
        while let event = client.nextEvent() { clientEvents.append(event) }
        while let event = server.nextEvent() { serverEvents.append(event) }
    }
}
