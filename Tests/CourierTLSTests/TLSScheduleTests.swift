#if canImport(Glibc)
import Glibc
#endif
import CourierCore
import CourierTLS
import Testing

/// The fuzz harness's invariant as a seeded test: under random partial deliveries and writes, each side
/// reads exactly what the other wrote, in order; a flipped byte is always detected, never delivered.
@Suite("TLS under random delivery schedules")
struct TLSScheduleTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The byte stream each side writes: byte i is `pattern(i)`, so what arrives can be checked as it comes.
    static func pattern(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 13 &+ index >> 8) }
    static let block: [UInt8] = (0..<(1 << 17)).map(pattern)

    final class Side {
        let engine: TLSEngine
        var flight = ByteBuffer()    // ciphertext it sent, not yet delivered
        var sent = 0
        var received = 0
        var inOrder = true
        var error: TLSError?
        private var scratch = ByteBuffer(capacity: 4096)
        init(_ engine: TLSEngine) { self.engine = engine }

        func step() {
            guard error == nil else { return }
            do {
                if try engine.handshake() == .complete {
                    while case .read = try engine.readPlaintext(into: &scratch, maximumBytes: 1000) {
                        let start = received % 65536
                        inOrder = inOrder && scratch.withUnsafeReadableBytes { bytes in
                            TLSScheduleTests.block.withUnsafeBytes { memcmp(bytes.baseAddress!, $0.baseAddress! + start, bytes.count) == 0 }
                        }
                        received += scratch.readableBytes
                        scratch.clear()
                    }
                }
            } catch {
                self.error = error
            }
            engine.outboundCiphertext(into: &flight)
        }

        func deliver(_ count: Int, to other: Side) {
            let length = min(count, flight.readableBytes)
            if length > 0 { other.engine.feedCiphertext(flight.readSlice(length: length)!) }
        }

        func write(_ count: Int) throws {
            guard engine.isHandshakeComplete, error == nil, count > 0 else { return }
            // The pattern repeats every 65536 bytes and the block holds two periods.
            let start = sent % 65536
            sent += try TLSScheduleTests.block[start..<start + count].withUnsafeBytes { try engine.writePlaintext($0) }
        }
    }

    @Test("random schedules deliver everything, in order", arguments: 0..<40)
    func schedule(seed: UInt64) throws {
        var random = SplitMix(state: seed)
        let version: TLSVersion = seed % 2 == 0 ? .tls13 : .tls12
        let client = Side(try TLSEngine(context: TLSClientContext(configuration: TestPKI.clientConfiguration(maximumVersion: version)),
                                        serverHostname: "localhost", port: 443))
        let server = Side(try TLSEngine(context: TLSServerContext(configuration: TestPKI.serverConfiguration())))
        for _ in 0..<300 {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: client.deliver(Int.random(in: 1...3000, using: &random), to: server)
            case 1: server.deliver(Int.random(in: 1...3000, using: &random), to: client)
            case 2: try client.write(Int.random(in: 0...40_000, using: &random))
            case 3: try server.write(Int.random(in: 0...40_000, using: &random))
            default: break
            }
            client.step()
            server.step()
        }
        for _ in 0..<1000 where client.flight.readableBytes + server.flight.readableBytes > 0 {
            client.deliver(Int.max, to: server)
            server.deliver(Int.max, to: client)
            client.step()
            server.step()
        }
        #expect(client.error == nil && server.error == nil)
        #expect(client.engine.isHandshakeComplete && server.engine.isHandshakeComplete)
        #expect(server.received == client.sent)
        #expect(client.received == server.sent)
        #expect(server.inOrder && client.inOrder)
        #expect(client.sent > 100_000 && server.sent > 100_000, "\(client.sent) \(server.sent)")
    }

    @Test("a flipped ciphertext byte is detected, never delivered", arguments: 0..<20)
    func tamper(seed: UInt64) throws {
        var random = SplitMix(state: seed &+ 1000)
        let pair = try EnginePair(client: TLSClientContext(configuration: TestPKI.clientConfiguration()),
                                  server: TLSServerContext(configuration: TestPKI.serverConfiguration()))
        try #require(pair.handshake().succeeded)
        let message = (0..<Int.random(in: 1...50_000, using: &random)).map { UInt8(truncatingIfNeeded: $0) }
        _ = try message.withUnsafeBytes { try pair.server.writePlaintext($0) }
        var flight = ByteBuffer()
        pair.server.outboundCiphertext(into: &flight)
        let position = Int.random(in: 0..<flight.readableBytes, using: &random)
        flight.withUnsafeMutableReadableBytes { $0[position] ^= UInt8.random(in: 1...255, using: &random) }
        pair.client.feedCiphertext(flight)
        var received: [UInt8] = []
        var buffer = ByteBuffer()
        let error = #expect(throws: TLSError.self) {
            while case .read = try pair.client.readPlaintext(into: &buffer) {
                received += buffer.readBytes(length: buffer.readableBytes)!
                buffer.clear()
            }
        }
        #expect(error?.code == .protocolViolation, "\(String(describing: error))")
        // Records before the damaged one may arrive; nothing after it, and nothing altered.
        #expect(received.count < message.count)
        #expect(received[...] == message.prefix(received.count))
    }
}
