// Drives a client and a server engine back to back with a random schedule: partial deliveries, writes of
// random sizes, closes, ends of stream and bytes flipped in flight. Checks that nothing crashes or hangs,
// that each side only ever reads a prefix of what the other wrote, and that tampering never goes unnoticed.
import CourierCore
import CourierTLS
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzTLSEngine_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

let contexts: (TLSClientContext, TLSServerContext, TLSClientContext) = {
    let authority = try! TLSCertificateAuthority()
    var client = TLSClientConfiguration()
    client.trustRoots = authority.trustRoots
    var tls12 = client
    tls12.maximumVersion = .tls12
    let server = TLSServerConfiguration(certificate: try! authority.issueLocalhost().keyPair)
    return (try! TLSClientContext(configuration: client), try! TLSServerContext(configuration: server),
            try! TLSClientContext(configuration: tls12))
}()

/// The plaintext both sides send: byte `n` of a direction's stream is `n % 256`, so what arrives is checked
/// against the stream by position without keeping a copy of what was sent.
let pattern: [UInt8] = (0..<(65_536 + 256)).map { UInt8(truncatingIfNeeded: $0) }

/// One direction of the connection: ciphertext in flight, and how much plaintext was sent and received.
struct Direction {
    var flight = ByteBuffer()
    var sent = 0
    var received = 0
    var tampered = false
    var failed = false
    var ended = false
}

func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let clientContext = input[0] & 1 == 0 ? contexts.0 : contexts.2
    guard let client = try? TLSEngine(context: clientContext, serverHostname: "localhost", port: 443),
          let server = try? TLSEngine(context: contexts.1) else { return 0 }
    var up = Direction()    // client → server
    var down = Direction()  // server → client
    var scratch = ByteBuffer()

    func step(_ engine: TLSEngine, reading direction: inout Direction) {
        guard !direction.failed else { return }
        do {
            if try engine.handshake() == .complete {
                while case .read = try engine.readPlaintext(into: &scratch) {
                    scratch.withUnsafeReadableBytes { chunk in
                        var offset = 0
                        while offset < chunk.count {
                            let length = min(chunk.count - offset, 65_536)
                            let start = (direction.received + offset) % 256
                            let same = pattern.withUnsafeBytes { expected in
                                memcmp(chunk.baseAddress! + offset, expected.baseAddress! + start, length) == 0
                            }
                            // Only ever a prefix of what was sent (AEAD: tampered records are never delivered).
                            precondition(same, "read bytes that were not written")
                            offset += length
                        }
                    }
                    direction.received += scratch.readableBytes
                    scratch.clear()
                }
            }
        } catch {
            precondition(scratch.readableBytes == 0, "bytes appended by a read that threw")
            direction.failed = true
        }
    }
    func collect(_ engine: TLSEngine, into direction: inout Direction) {
        engine.outboundCiphertext(into: &direction.flight)
    }
    func deliver(_ count: Int, _ direction: inout Direction, to engine: TLSEngine) {
        let length = min(count, direction.flight.readableBytes)
        guard length > 0, !direction.ended else { return }
        engine.feedCiphertext(direction.flight.readSlice(length: length)!)
    }
    /// Delivers by lending the bytes for one read pass (what the pass leaves unread must be kept).
    func lend(_ count: Int, _ direction: inout Direction, to engine: TLSEngine) {
        let length = min(count, direction.flight.readableBytes)
        guard length > 0, !direction.ended else { return }
        let slice = direction.flight.readSlice(length: length)!
        slice.withUnsafeReadableBytes { bytes in engine.withCiphertext(bytes) { step(engine, reading: &direction) } }
    }
    /// Flips one byte in flight, in place; the receiver must notice unless the byte is never delivered.
    func tamper(_ argument: Int, _ direction: inout Direction) {
        guard direction.flight.readableBytes > 0 else { return }
        let offset = argument % direction.flight.readableBytes
        direction.flight.withUnsafeMutableReadableBytes { $0[offset] ^= 0x5a }
        direction.tampered = true
    }
    func write(_ count: Int, _ engine: TLSEngine, _ direction: inout Direction) {
        guard engine.isHandshakeComplete else { return }
        let start = direction.sent % 256
        if let taken = try? pattern.withUnsafeBytes({ try engine.writePlaintext(UnsafeRawBufferPointer(rebasing: $0[start..<start + count])) }) {
            direction.sent += taken
        }
    }

    var index = 1
    while index + 1 < input.count {
        let op = input[index] % 10
        let argument = Int(input[index + 1])
        index += 2
        switch op {
        case 0: deliver(argument * 8 + 1, &up, to: server)
        case 1: deliver(argument * 8 + 1, &down, to: client)
        case 2: write(argument * 97, client, &up)
        case 3: write(argument * 97, server, &down)
        case 4: tamper(argument, &up)
        case 5: tamper(argument, &down)
        case 6: client.close()
        case 7: server.close()
        case 8:
            if argument & 1 == 0 { up.ended = true; server.receivedEndOfStream() } else { down.ended = true; client.receivedEndOfStream() }
        case 9:
            if argument & 1 == 0 { lend(argument * 64 + 1, &up, to: server) } else { lend(argument * 64 + 1, &down, to: client) }
        default: break
        }
        step(client, reading: &down)
        collect(client, into: &up)
        step(server, reading: &up)
        collect(server, into: &down)
    }
    // Deliver everything that is left, both ways, until nothing moves.
    for _ in 0..<64 {
        let before = up.flight.readableBytes + down.flight.readableBytes
        deliver(Int.max, &up, to: server)
        deliver(Int.max, &down, to: client)
        step(client, reading: &down)
        collect(client, into: &up)
        step(server, reading: &up)
        collect(server, into: &down)
        if before == 0 && up.flight.readableBytes + down.flight.readableBytes == 0 { break }
    }
    for direction in [up, down] {
        precondition(direction.received <= direction.sent, "read more than was written")
        // Everything arrives when nothing was tampered with, no side failed and no stream was cut.
        if !direction.tampered && !up.failed && !down.failed && !up.ended && !down.ended
            && client.isHandshakeComplete && server.isHandshakeComplete {
            precondition(direction.received == direction.sent, "data lost without an error")
        }
    }
    return 0
}
