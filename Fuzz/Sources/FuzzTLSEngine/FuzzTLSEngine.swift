// Drives a client and a server engine back to back with a random schedule: partial deliveries, writes of
// random sizes, closes, ends of stream and bytes flipped in flight. Checks that nothing crashes or hangs,
// that each side only ever reads a prefix of what the other wrote, and that tampering never goes unnoticed.
import CourierCore
import CourierTLS

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

/// One direction of the connection: ciphertext in flight, plaintext sent and received.
struct Direction {
    var flight = ByteBuffer()
    var sent: [UInt8] = []
    var received: [UInt8] = []
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
                    direction.received += scratch.readBytes(length: scratch.readableBytes) ?? []
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
    func write(_ count: Int, _ engine: TLSEngine, _ direction: inout Direction) {
        guard engine.isHandshakeComplete else { return }
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: direction.sent.count &+ $0) }
        if let taken = try? bytes.withUnsafeBytes({ try engine.writePlaintext($0) }) {
            direction.sent += bytes.prefix(taken)
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
        case 4, 5:
            // Flip one byte in flight; the receiver must notice unless the byte is never delivered.
            var direction = op == 4 ? up : down
            if direction.flight.readableBytes > 0 {
                let offset = argument % direction.flight.readableBytes
                direction.flight.withUnsafeMutableReadableBytes { $0[offset] ^= 0x5a }
                direction.tampered = true
            }
            if op == 4 { up = direction } else { down = direction }
        case 6: client.close()
        case 7: server.close()
        case 8:
            if argument & 1 == 0 { up.ended = true; server.receivedEndOfStream() } else { down.ended = true; client.receivedEndOfStream() }
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
        // Only ever a prefix of what was sent (AEAD: tampered records are rejected, never delivered).
        precondition(direction.received.count <= direction.sent.count, "read more than was written")
        precondition(direction.received[...] == direction.sent.prefix(direction.received.count), "read bytes that were not written")
        // Everything arrives when nothing was tampered with, no side failed and no stream was cut.
        if !direction.tampered && !up.failed && !down.failed && !up.ended && !down.ended
            && client.isHandshakeComplete && server.isHandshakeComplete {
            precondition(direction.received.count == direction.sent.count, "data lost without an error")
        }
    }
    return 0
}
