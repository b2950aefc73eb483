import CourierCore
@testable import CourierTLS
import COpenSSL
import CCourierOpenSSLShims
import Testing

@Suite("TLS application data: records, close_notify, truncation, renegotiation")
struct TLSDataTests {
    func established(version: TLSVersion = .tls13) throws -> EnginePair {
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: version)),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration()))
        let outcome = pair.handshake()
        try #require(outcome.succeeded, "\(outcome)")
        return pair
    }

    /// All of `payload` written by `sender`, as the ciphertext it produced.
    static func encrypt(_ payload: [UInt8], by sender: TLSEngine) throws -> ByteBuffer {
        var sent = 0
        var ciphertext = ByteBuffer()
        while sent < payload.count {
            sent += try payload[sent...].withUnsafeBytes { try sender.writePlaintext($0) }
            sender.outboundCiphertext(into: &ciphertext)
        }
        return ciphertext
    }

    @Test("data flows both ways, large and small", arguments: [TLSVersion.tls12, .tls13])
    func roundTrip(version: TLSVersion) throws {
        let pair = try established(version: version)
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 12) }
        #expect(try pair.send(big, from: pair.client) == big)
        #expect(try pair.send(big, from: pair.server) == big)
        #expect(try pair.send([42], from: pair.server) == [42])
    }

    @Test("a large write is taken in bounded slices and goes out in full-size records", arguments: [TLSVersion.tls12, .tls13])
    func recordsAndBackPressure(version: TLSVersion) throws {
        let pair = try established(version: version)
        let payload = [UInt8](repeating: 0xAB, count: 1 << 20)
        let limit = TestPKI.clientConfiguration().maximumBufferedCiphertext
        var offset = 0
        var records: [Int] = []
        var ciphertext = ByteBuffer(capacity: limit + 32 * 1024)
        var received = 0
        var plaintext = ByteBuffer(capacity: 64 * 1024)
        while offset < payload.count {
            let consumed = try payload[offset...].withUnsafeBytes { try pair.client.writePlaintext($0) }
            #expect(consumed > 0)
            offset += consumed
            // Memory stays bounded: at most the limit plus one record is waiting.
            #expect(pair.client.pendingOutboundCiphertext <= limit + 16 * 1024 + 512)
            if offset < payload.count {
                // Full: nothing more is taken until the ciphertext is sent.
                #expect(try payload[offset...].withUnsafeBytes { try pair.client.writePlaintext($0) } == 0)
            }
            ciphertext.clear()
            pair.client.outboundCiphertext(into: &ciphertext)
            records += Self.recordLengths(ciphertext)
            pair.server.feedCiphertext(ciphertext)
            while case .read(let count) = try pair.server.readPlaintext(into: &plaintext) {
                received += count
                plaintext.clear()
            }
        }
        #expect(received == payload.count)
        // 2^14 bytes of plaintext per record, plus the AEAD tag (and the TLS 1.3 content type byte).
        let full = records.filter { $0 >= 16384 }.count
        #expect(full == payload.count / 16384, "record lengths: \(Set(records))")
        #expect(records.allSatisfy { $0 <= 16384 + 256 })
    }

    /// The lengths in the headers of the TLS records in `buffer`.
    static func recordLengths(_ buffer: ByteBuffer) -> [Int] {
        var lengths: [Int] = []
        var index = buffer.readerIndex
        while let length = buffer.getInteger(at: index + 3, as: UInt16.self) {
            lengths.append(Int(length))
            index += 5 + Int(length)
        }
        #expect(index == buffer.writerIndex)
        return lengths
    }

    @Test("close sends close_notify; the peer reads a clean close and answers", arguments: [TLSVersion.tls12, .tls13])
    func closeNotify(version: TLSVersion) throws {
        let pair = try established(version: version)
        _ = try pair.client.writePlaintext(ByteBuffer(string: "last words"))
        #expect(pair.client.close())
        #expect(!pair.client.close())  // once
        let (bytes, end) = try pair.drain(pair.server)
        #expect(bytes == Array("last words".utf8))
        #expect(end == .closed(.closeNotify))
        var buffer = ByteBuffer()
        #expect(try pair.server.readPlaintext(into: &buffer) == .closed(.closeNotify))
        // The server may still answer (half-close), then closes too.
        #expect(try pair.server.writePlaintext(ByteBuffer(string: "bye")) == 3)
        #expect(pair.server.close())
        let (reply, clientEnd) = try pair.drain(pair.client)
        #expect(reply == Array("bye".utf8))
        #expect(clientEnd == .closed(.closeNotify))
        let error = #expect(throws: TLSError.self) { try pair.client.writePlaintext(ByteBuffer(string: "more")) }
        #expect(error?.code == .connectionClosed)
        let serverError = #expect(throws: TLSError.self) { try pair.server.writePlaintext(ByteBuffer(string: "more")) }
        #expect(serverError?.code == .connectionClosed)
    }

    @Test("lent ciphertext: records split anywhere across loans and copies arrive whole and in order", arguments: [TLSVersion.tls12, .tls13])
    func lentCiphertext(version: TLSVersion) throws {
        let pair = try established(version: version)
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        var ciphertext = try Self.encrypt(payload, by: pair.server)
        var received = ByteBuffer()
        var pieces = 0
        var state: UInt64 = 7
        while ciphertext.readableBytes > 0 {
            let piece = ciphertext.readSlice(length: min(ciphertext.readableBytes, 1 + Int({ state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }() % 40_000)))!
            pieces += 1
            if pieces % 4 == 0 {
                pair.client.feedCiphertext(piece)   // copies mixed with loans keep their order
                continue
            }
            let drains = pieces % 2 == 1
            try piece.withUnsafeReadableBytes { bytes in
                try pair.client.withCiphertext(bytes) {
                    if drains {
                        while case .read = try pair.client.readPlaintext(into: &received) {}
                    } else {
                        // Stops early: what the engine has not read must be kept when the loan ends.
                        _ = try pair.client.readPlaintext(into: &received, maximumBytes: 100)
                    }
                }
            }
            // A drained loan leaves nothing behind: OpenSSL holds the partial record itself.
            if drains { #expect(pair.client.pendingInboundCiphertext == 0) }
        }
        while case .read = try pair.client.readPlaintext(into: &received) {}
        #expect(received.readableBytesView.elementsEqual(payload))
        // After the end of the stream a loan is not taken and the lent bytes are ignored.
        pair.client.receivedEndOfStream()
        let ignored: [UInt8] = [1, 2, 3]
        ignored.withUnsafeBytes { bytes in pair.client.withCiphertext(bytes) {} }
        #expect(pair.client.pendingInboundCiphertext == 0)
        #expect(try pair.client.readPlaintext(into: &received) == .closed(.truncated))
    }

    @Test("a read sizes its buffer from what arrived; ciphertext kept between reads is let go once read", arguments: [TLSVersion.tls12, .tls13])
    func readMemoryFollowsWhatArrived(version: TLSVersion) throws {
        let pair = try established(version: version)
        // A small record lands in a small buffer, not in room for a whole 16 KiB record.
        _ = try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try pair.server.writePlaintext($0) }
        pair.flush()
        var small = ByteBuffer(capacity: 0)
        #expect(try pair.client.readPlaintext(into: &small) == .read(100))
        #expect(small.capacity < 4096, "capacity \(small.capacity) for 100 bytes")
        // Records fed by copy in pieces that split them: all of it arrives, and nothing stays held after.
        let payload = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) }
        var ciphertext = try Self.encrypt(payload, by: pair.server)
        var received = ByteBuffer(capacity: 0)
        while ciphertext.readableBytes > 0 {
            pair.client.feedCiphertext(ciphertext.readSlice(length: min(ciphertext.readableBytes, 5_000))!)
            #expect(courier_inbound_bio_retained(pair.client.inbound) > 0)
            while case .read = try pair.client.readPlaintext(into: &received) {}
        }
        #expect(received.readableBytesView.elementsEqual(payload))
        #expect(courier_inbound_bio_retained(pair.client.inbound) == 0)
    }

    @Test("a stream that ends without close_notify is reported as truncated, after the data", arguments: [TLSVersion.tls12, .tls13])
    func truncation(version: TLSVersion) throws {
        let pair = try established(version: version)
        _ = try pair.server.writePlaintext(ByteBuffer(string: "partial body"))
        pair.flush()
        pair.client.receivedEndOfStream()
        let (bytes, end) = try pair.drain(pair.client)
        #expect(bytes == Array("partial body".utf8))
        #expect(end == .closed(.truncated))
        var buffer = ByteBuffer()
        #expect(try pair.client.readPlaintext(into: &buffer) == .closed(.truncated))
        // Half of a record then the end of the stream: truncated too.
        let other = try established(version: version)
        _ = try other.server.writePlaintext(ByteBuffer(string: "cut in the middle of a record"))
        var record = ByteBuffer()
        other.server.outboundCiphertext(into: &record)
        other.client.feedCiphertext(record.getSlice(at: 0, length: record.readableBytes - 5)!)
        other.client.receivedEndOfStream()
        #expect(try other.drain(other.client).1 == .closed(.truncated))
    }

    @Test("after the peer's stream ends our side can still write (half-close), then close")
    func halfClose() throws {
        let pair = try established()
        pair.server.receivedEndOfStream()
        #expect(try pair.drain(pair.server).1 == .closed(.truncated))
        #expect(try pair.server.writePlaintext(ByteBuffer(string: "response")) == 8)
        #expect(pair.server.close())
        let (bytes, end) = try pair.drain(pair.client)
        #expect(bytes == Array("response".utf8))
        #expect(end == .closed(.closeNotify))
    }

    @Test("misuse: data before the handshake, close before the handshake")
    func misuse() throws {
        let engine = try TLSEngine(context: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                   serverHostname: "localhost", port: 443)
        var buffer = ByteBuffer()
        #expect(throws: TLSError.self) { try engine.readPlaintext(into: &buffer) }
        let error = #expect(throws: TLSError.self) { try engine.writePlaintext(ByteBuffer(string: "early")) }
        #expect(error?.code == .misuse)
        #expect(!engine.close())
        #expect(engine.negotiatedVersion == nil)
        #expect(!engine.isHandshakeComplete)
    }

    @Test("a server asking our client to renegotiate is refused (TLS 1.2)")
    func serverRenegotiationRefused() throws {
        let pair = try established(version: .tls12)
        // Our contexts refuse renegotiation; lift that on this server alone to play a peer that asks.
        SSL_clear_options(pair.server.ssl, courier_SSL_OP_NO_RENEGOTIATION())
        #expect(SSL_renegotiate(pair.server.ssl) == 1)
        _ = SSL_do_handshake(pair.server.ssl)  // queues HelloRequest
        pair.flush()
        var buffer = ByteBuffer()
        // The client answers with a no_renegotiation warning and carries on.
        #expect(try pair.client.readPlaintext(into: &buffer) == .wantRead)
        pair.flush()
        // The server gives up on the renegotiation (OpenSSL makes that fatal) and tells the client.
        let serverError = #expect(throws: TLSError.self) { try pair.server.readPlaintext(into: &buffer) }
        #expect(serverError?.openSSLErrors.joined().contains("no renegotiation") == true, "\(String(describing: serverError))")
        pair.flush()
        #expect(SSL_ctrl(pair.client.ssl, SSL_CTRL_GET_NUM_RENEGOTIATIONS, 0, nil) == 0)
    }

    @Test("a client asking our server to renegotiate is refused (TLS 1.2)")
    func clientRenegotiationRefused() throws {
        let pair = try established(version: .tls12)
        SSL_clear_options(pair.client.ssl, courier_SSL_OP_NO_RENEGOTIATION())
        #expect(SSL_renegotiate(pair.client.ssl) == 1)
        _ = SSL_do_handshake(pair.client.ssl)  // queues a new ClientHello
        pair.flush()
        var buffer = ByteBuffer()
        // The server answers no_renegotiation and keeps the session as it is.
        #expect(try pair.server.readPlaintext(into: &buffer) == .wantRead)
        pair.flush()
        #expect(SSL_do_handshake(pair.client.ssl) != 1)
        #expect(SSL_ctrl(pair.server.ssl, SSL_CTRL_GET_NUM_RENEGOTIATIONS, 0, nil) == 0)
        OpenSSLErrorQueue.clear()
    }
}
