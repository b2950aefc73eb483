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

/// Our figures, with the names the C reference prints.
func measure() throws -> [String: Double] {
    let total = 512 << 20
    let bulkTime = seconds(try bulk(total))
    return [
        "bulk_mb_per_s": Double(total) / bulkTime / 1e6,
        "bulk_ns_per_16k_record": bulkTime * 1e9 / (Double(total) / 16384),
        "full_handshake_us": try handshakes(300, resumed: false),
        "resumed_handshake_us": try handshakes(1000, resumed: true),
    ]
}

/// The C reference's figures, from the executable `make build` puts next to this one's build directory.
func measureReference() throws -> [String: Double]? {
    let scratch = arguments[0].split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/")
    let path = (scratch.isEmpty ? "." : scratch) + "/c/tls_membio"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        print("(C reference not found at \(path); run `make -C Benchmarks build`)")
        return nil
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    var figures: [String: Double] = [:]
    for line in output.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count == 2, let value = Double(fields[1]) { figures[String(fields[0])] = value }
    }
    return figures
}

// Warm up, then alternate our measurement and the reference's so that load from elsewhere hits both alike.
_ = try bulk(16 << 20)
_ = try handshakes(10, resumed: false)
var ours: [[String: Double]] = []
var theirs: [[String: Double]] = []
for _ in 0..<3 {
    ours.append(try measure())
    if let reference = try measureReference() { theirs.append(reference) }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

print("TLS engine, in memory, one thread (client encrypts and server decrypts on the same core), TLS 1.3, ECDSA P-256")
print("(median of 3 rounds, each round our measurement then the C reference's; ratio > 1 means Courier is faster)")
let rows: [(String, String, String, Bool)] = [
    ("bulk 64 KiB writes", "bulk_mb_per_s", "MB/s", true),
    ("per 16 KiB record (encrypt + move + decrypt)", "bulk_ns_per_16k_record", "ns", false),
    ("full handshake (client + server, CA-signed leaf)", "full_handshake_us", "µs", false),
    ("resumed handshake (TLS 1.3 ticket, client + server)", "resumed_handshake_us", "µs", false),
]
for (name, key, unit, higherIsBetter) in rows {
    let mine = median(ours.map { $0[key]! })
    var line = "\(name): \(String(format: "%.1f", mine)) \(unit)"
    if theirs.count == ours.count {
        let reference = median(theirs.map { $0[key] ?? .nan })
        let ratios = zip(ours, theirs).map { higherIsBetter ? $0[key]! / $1[key]! : $1[key]! / $0[key]! }
        line += "   C reference \(String(format: "%.1f", reference)) \(unit)"
        line += "   ratio \(String(format: "%.2f", median(ratios))) (rounds: \(ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ")))"
    }
    print(line)
}
