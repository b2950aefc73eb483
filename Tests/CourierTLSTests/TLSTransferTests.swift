import Foundation
import CourierCore
import CourierTLS
import Testing

/// 100 MB from nginx through our client engine, streamed (nothing accumulates), timed against curl on
/// the same nginx in the same run. Throughput is printed, never asserted; memory bounds are asserted.
@Suite("TLS 100 MB transfer from nginx, compared with curl", .serialized,
       .enabled(if: executable("nginx") != nil && executable("curl") != nil))
struct TLSTransferTests {
    static let size = 100 * 1024 * 1024
    /// The file is this 64 KiB block repeated, so every received byte can be checked cheaply.
    static let block: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<65536).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }()

    struct Measurement: CustomStringConvertible {
        let megabytesPerSecond: Double
        let seconds: Double
        var description: String {
            "\((megabytesPerSecond * 10).rounded() / 10) MB/s (\((seconds * 1000).rounded()) ms)"
        }
    }

    /// In a child process (an exit test): the transfers are blocking socket loops, seconds long, which would
    /// otherwise hold one of the few cooperative threads the suites running alongside need.
    @Test("100 MB over TLS 1.3 with bounded memory; MB/s against curl")
    func transfer() async throws {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            try TLSTransferTests().measureTransfers()
        }
        print(String(decoding: result?.standardOutputContent ?? [], as: UTF8.self), terminator: "")
    }

    func measureTransfers() throws {
        let nginx = try NginxServer { www in
            _ = FileManager.default.createFile(atPath: www + "/big", contents: nil)
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: www + "/big"))
            let data = Data(Self.block)
            for _ in 0..<(Self.size / Self.block.count) { try file.write(contentsOf: data) }
            try file.close()
        }
        let ca = try nginx.directory.write("ca.pem", TestPKI.authority.certificatePEM)
        var configuration = TestPKI.clientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        configuration.minimumVersion = .tls13
        let context = try TLSClientContext(configuration: configuration)

        // Alternate the two clients so that load from elsewhere on the machine hits both alike.
        var ours: [Measurement] = []
        var curls: [Measurement] = []
        for _ in 0..<5 {
            ours.append(try fetch(from: nginx, context: context))
            curls.append(try curl(from: nginx, ca: ca))
        }
        func median(_ runs: [Measurement]) -> Double { runs.map(\.megabytesPerSecond).sorted()[runs.count / 2] }
        func best(_ runs: [Measurement]) -> Double { runs.map(\.megabytesPerSecond).max()! }
        func format(_ value: Double) -> String { String((value * 10).rounded() / 10) }
        func ratio(_ mine: Double, _ theirs: Double) -> String { String((mine / theirs * 100).rounded() / 100) }
        print("""
            TLS 100 MB transfer from nginx (TLS 1.3, HTTP/1.1, loopback, debug build of the test):
              Courier engine + blocking pump: \(ours.map(\.description).joined(separator: ", "))
              curl \(curlVersion()):             \(curls.map(\.description).joined(separator: ", "))
              median MB/s: Courier \(format(median(ours))), curl \(format(median(curls))), ratio \(ratio(median(ours), median(curls)))
              best MB/s:   Courier \(format(best(ours))), curl \(format(best(curls))), ratio \(ratio(best(ours), best(curls)))
            """)
    }

    func fetch(from nginx: NginxServer, context: TLSClientContext) throws -> Measurement {
        let rssBefore = residentKilobytes()
        var rssPeak = rssBefore
        let start = ContinuousClock.now
        let pump = try nginx.connect(context)
        pump.readChunk = 128 * 1024
        try pump.write("GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        var buffer = ByteBuffer(capacity: 256 * 1024)
        var head: [UInt8] = []
        var contentLength: Int?
        var body = 0
        var intact = true
        var peakPlaintextCapacity = 0
        reading: while true {
            switch try pump.read(into: &buffer, maximumBytes: 256 * 1024) {
            case .read:
                peakPlaintextCapacity = max(peakPlaintextCapacity, buffer.capacity)
                if contentLength == nil {
                    head += buffer.readBytes(length: buffer.readableBytes)!
                    guard let end = head.indices.dropLast(3).first(where: { head[$0...$0 + 3].elementsEqual([13, 10, 13, 10]) })
                    else { break }
                    let text = String(decoding: head[..<end], as: UTF8.self).lowercased()
                    #expect(text.hasPrefix("http/1.1 200"), "\(text)")
                    let line = text.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    contentLength = line.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
                    let rest = Array(head[(end + 4)...])
                    intact = intact && Self.check(rest, at: body)
                    body += rest.count
                    head = []
                } else {
                    buffer.withUnsafeReadableBytes { intact = intact && Self.check($0, at: body) }
                    body += buffer.readableBytes
                    if body % (8 << 20) < buffer.readableBytes { rssPeak = max(rssPeak, residentKilobytes()) }
                }
                buffer.clear()
                if let contentLength, body >= contentLength { break reading }
            case .closed, .wantRead:
                break reading
            }
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        pump.close()
        #expect(contentLength == Self.size)
        #expect(body == Self.size)
        #expect(intact, "body bytes differ from the file")
        // Bounded memory: nothing grows with the transfer size.
        #expect(pump.peakInboundCapacity <= 256 * 1024)
        #expect(pump.peakPendingInbound <= 256 * 1024)
        #expect(pump.peakOutboundCapacity <= 64 * 1024)
        #expect(peakPlaintextCapacity <= 1024 * 1024)
        print("  (resident memory during our transfer: +\((rssPeak - rssBefore) / 1024) MiB over \(rssBefore / 1024) MiB)")
        return Measurement(megabytesPerSecond: Double(Self.size) / seconds / 1e6, seconds: seconds)
    }

    func curl(from nginx: NginxServer, ca: String) throws -> Measurement {
        let curl = try ExternalProcess(executable("curl")!, [
            "-sS", "-o", "/dev/null", "--http1.1", "--tlsv1.3", "--cacert", ca,
            "--resolve", "localhost:\(nginx.port):127.0.0.1", "https://localhost:\(nginx.port)/big",
            "-w", "%{size_download} %{time_total}",
        ], directory: nginx.directory, name: "curl")
        #expect(curl.waitForExit(timeout: .seconds(120)) == 0, "\(curl.report)")
        let fields = curl.output.split(separator: " ")
        #expect(fields.first.flatMap { Int($0) } == Self.size, "\(curl.report)")
        let seconds = fields.count == 2 ? Double(fields[1]) ?? .infinity : .infinity
        return Measurement(megabytesPerSecond: Double(Self.size) / seconds / 1e6, seconds: seconds)
    }

    /// Whether `bytes` are the file's bytes at `offset`.
    static func check(_ bytes: some Collection<UInt8>, at offset: Int) -> Bool {
        var position = offset % block.count
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let count = min(block.count - position, bytes.distance(from: index, to: bytes.endIndex))
            let end = bytes.index(index, offsetBy: count)
            if !bytes[index..<end].elementsEqual(block[position..<position + count]) { return false }
            index = end
            position = 0
        }
        return true
    }

    static func check(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var position = offset % block.count
        var index = 0
        while index < bytes.count {
            let count = min(block.count - position, bytes.count - index)
            let same = block.withUnsafeBytes { memcmp(bytes.baseAddress! + index, $0.baseAddress! + position, count) == 0 }
            if !same { return false }
            index += count
            position = 0
        }
        return true
    }

    func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ")[1]) ?? 0
    }

    func curlVersion() -> String {
        guard let directory = try? TestDirectory("curl-version"),
              let process = try? ExternalProcess(executable("curl")!, ["--version"], directory: directory, name: "v") else { return "" }
        process.waitForExit()
        return process.output.split(separator: " ").dropFirst().first.map(String.init) ?? ""
    }
}
