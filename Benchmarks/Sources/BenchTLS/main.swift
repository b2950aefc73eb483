// TLS engine costs, in memory (no sockets): bulk throughput through a client and a server engine on one
// thread, and full and resumed handshakes; compared with C/tls_membio.c, the same loop written directly
// against OpenSSL, run in the same invocation. `BenchTLS records N` only moves N 16 KiB records (for
// counting allocations per record under valgrind: run with two values of N and take the difference).
import CourierCore
import CourierTLS
import Foundation

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let authority = try TLSCertificateAuthority()
var clientConfiguration = TLSClientConfiguration()
clientConfiguration.trustRoots = authority.trustRoots
let clientContext = try TLSClientContext(configuration: clientConfiguration)
let serverContext = try TLSServerContext(configuration: TLSServerConfiguration(certificate: try authority.issueLocalhost().keyPair))

/// Moves ciphertext from one engine to the other through a reused buffer, as a socket would.
func move(_ from: TLSEngine, _ to: TLSEngine, _ wire: inout ByteBuffer) {
    wire.clear()
    if from.outboundCiphertext(into: &wire) > 0 { to.feedCiphertext(wire) }
}

func connect() throws -> (TLSEngine, TLSEngine) {
    let client = try TLSEngine(context: clientContext, serverHostname: "localhost", port: 443)
    let server = try TLSEngine(context: serverContext)
    var wire = ByteBuffer(capacity: 64 * 1024)
    var clientDone = false
    var serverDone = false
    while !(clientDone && serverDone) {
        if !clientDone { clientDone = try client.handshake() == .complete }
        move(client, server, &wire)
        if !serverDone { serverDone = try server.handshake() == .complete }
        move(server, client, &wire)
    }
    // Read what followed the handshake (TLS 1.3 tickets) so the session is cached.
    var sink = ByteBuffer(capacity: 1024)
    _ = try client.readPlaintext(into: &sink)
    return (client, server)
}

/// Sends `total` bytes from client to server in 64 KiB writes; returns the elapsed time.
func bulk(_ total: Int, write size: Int = 64 * 1024) throws -> Duration {
    let (client, server) = try connect()
    let payload = [UInt8](repeating: 0xab, count: size)
    var wire = ByteBuffer(capacity: 512 * 1024)
    var sink = ByteBuffer(capacity: 512 * 1024)
    var received = 0
    let start = ContinuousClock.now
    try payload.withUnsafeBytes { bytes in
        var sent = 0
        while sent < total {
            var offset = 0
            while offset < bytes.count {
                offset += try client.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                move(client, server, &wire)
                while case .read(let count) = try server.readPlaintext(into: &sink) {
                    received += count
                    sink.clear()
                }
            }
            sent += size
        }
    }
    let elapsed = ContinuousClock.now - start
    precondition(received == total, "received \(received) of \(total)")
    return elapsed
}

let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "records", let records = Int(arguments[2]) {
    _ = try bulk(records * 16384, write: 16384)
    exit(0)
}

// Warm up, then measure.
_ = try bulk(16 << 20)
let total = 1 << 30
let bulkTime = seconds(try bulk(total))
let megabytesPerSecond = Double(total) / bulkTime / 1e6
let nanosecondsPerRecord = bulkTime * 1e9 / (Double(total) / 16384)

func handshakes(_ rounds: Int, resumed: Bool) throws -> Double {
    if !resumed { clientContext.sessionCache?.removeAll() }
    let start = ContinuousClock.now
    for _ in 0..<rounds {
        if !resumed { clientContext.sessionCache?.removeAll() }
        let (client, _) = try connect()
        precondition(client.isSessionReused == resumed, "resumption \(client.isSessionReused), expected \(resumed)")
    }
    return seconds(ContinuousClock.now - start) * 1e6 / Double(rounds)
}
_ = try handshakes(1, resumed: false)
let full = try handshakes(500, resumed: false)
let resumedHandshake = try handshakes(2000, resumed: true)

// The C reference, built by `make build` next to this executable's build directory.
var reference: [String: Double] = [:]
let executable = arguments[0]
let scratch = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/")
let referencePath = (scratch.isEmpty ? "." : scratch) + "/c/tls_membio"
if FileManager.default.isExecutableFile(atPath: referencePath) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: referencePath)
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count == 2, let value = Double(fields[1]) { reference[String(fields[0])] = value }
    }
}

@MainActor
func row(_ name: String, _ ours: Double, _ unit: String, _ key: String, higherIsBetter: Bool) {
    var line = "\(name): \(String(format: "%.1f", ours)) \(unit)"
    if let theirs = reference[key] {
        let ratio = higherIsBetter ? ours / theirs : theirs / ours
        line += "   C reference \(String(format: "%.1f", theirs)) \(unit), Courier/C speed ratio \(String(format: "%.2f", ratio))"
    }
    print(line)
}
print("TLS engine, in memory, one thread (client encrypts and server decrypts on the same core), TLS 1.3 AES-256-GCM")
row("bulk 64 KiB writes", megabytesPerSecond, "MB/s", "bulk_mb_per_s", higherIsBetter: true)
row("per 16 KiB record (encrypt + move + decrypt)", nanosecondsPerRecord, "ns", "bulk_ns_per_16k_record", higherIsBetter: false)
row("full handshake (ECDSA P-256, client + server)", full, "µs", "full_handshake_us", higherIsBetter: false)
row("resumed handshake (TLS 1.3 ticket, client + server)", resumedHandshake, "µs", "resumed_handshake_us", higherIsBetter: false)
if reference.isEmpty { print("(C reference not found at \(referencePath); run `make -C Benchmarks build`)") }
