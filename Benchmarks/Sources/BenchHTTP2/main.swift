// HTTP/2 frame codec and connection state machines, in CPU time per operation, with nghttp2 doing
// the same in-memory exchanges in the same run (Benchmarks/C/h2_nghttp2.c).
//
// Workloads:
//   frame-encode / frame-decode   a mix of the frames a response stream and its connection carry
//                                 (HEADERS, DATA of 100 octets and 16 KiB, WINDOW_UPDATE, PING, SETTINGS, RST_STREAM)
//   exchange-get                  one GET at a time through a client and a server HTTP2Connection
//                                 back to back in memory: request HEADERS (8 fields), response
//                                 HEADERS (6 fields) and 100 octets of DATA, consumed by the client
//   exchange-get-x8               8 GETs in flight per round
//   exchange-post-16k             one POST with a 16 KiB body at a time
//   client-get                    the client side of exchange-get alone: a fresh client connection
//                                 replays what our server sent for 1000 GETs (nghttp2's client
//                                 replays the same octets), per GET
// Figures are the best of 11 rounds of about 20 ms of this thread's CPU time; ours and nghttp2
// alternate over three cycles and each keeps its best.
import CourierCore
import CourierHPACK
import CourierHTTP2
import Foundation

func cpuNanoseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
}

/// Best of eleven rounds of about 20 ms of CPU time, in ns per operation.
func measure(operationsPerPass: Int, _ pass: () -> Void) -> Double {
    var passes = 1
    while true {
        let start = cpuNanoseconds()
        for _ in 0..<passes { pass() }
        if cpuNanoseconds() - start > 2e7 { break }
        passes *= 2
    }
    var best = Double.infinity
    for _ in 0..<11 {
        let start = cpuNanoseconds()
        for _ in 0..<passes { pass() }
        best = min(best, (cpuNanoseconds() - start) / Double(passes * operationsPerPass))
    }
    return best
}

func list(_ fields: [(String, String)]) -> HPACKHeaderList {
    var list = HPACKHeaderList()
    for (name, value) in fields { list.append(name: name, value: value) }
    return list
}

let getRequest = list([(":method", "GET"), (":scheme", "https"), (":authority", "api.example.com"),
                       (":path", "/v1/items/42"), ("user-agent", "courier-bench/1.0"), ("accept", "application/json"),
                       ("accept-encoding", "gzip, br"), ("x-request-id", "6f1c2a7e-3b9d-4f0a-8e55-91d2c4b7a013")])
let postRequest = list([(":method", "POST"), (":scheme", "https"), (":authority", "api.example.com"),
                        (":path", "/v1/items"), ("user-agent", "courier-bench/1.0"),
                        ("content-type", "application/octet-stream"), ("content-length", "16384"),
                        ("x-request-id", "6f1c2a7e-3b9d-4f0a-8e55-91d2c4b7a013")])
let responseHead = list([(":status", "200"), ("content-type", "application/json"), ("content-length", "100"),
                         ("date", "Tue, 26 Nov 2024 19:41:00 GMT"), ("server", "bench"), ("cache-control", "no-store")])
let responseBody = ByteBuffer(bytes: [UInt8](repeating: 0x78, count: 100))
let uploadBody = ByteBuffer(bytes: [UInt8](repeating: 0x78, count: 16384))

// MARK: - Frame codec

let frameMix: [HTTP2Frame] = {
    var block = ByteBuffer()
    var encoder = HPACKEncoder()
    encoder.encode(responseHead, into: &block)
    return [
        HTTP2Frame(streamID: 1, payload: .headers(.init(fragment: block))),
        HTTP2Frame(streamID: 1, payload: .data(.init(data: responseBody))),
        HTTP2Frame(streamID: 1, payload: .data(.init(data: uploadBody, endStream: true))),
        HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 65536)),
        HTTP2Frame(streamID: 1, payload: .windowUpdate(increment: 32768)),
        HTTP2Frame(streamID: 0, payload: .ping(.init(data: HTTP2PingData(42), ack: true))),
        HTTP2Frame(streamID: 0, payload: .settings(.init(settings: [HTTP2Setting(.maxConcurrentStreams, 100),
                                                                    HTTP2Setting(.initialWindowSize, 1 << 20),
                                                                    HTTP2Setting(.maxHeaderListSize, 65536)]))),
        HTTP2Frame(streamID: 3, payload: .rstStream(.cancel)),
    ]
}()

/// The mix without the 16 KiB DATA frame: what framing itself costs, without the copy.
let smallFrameMix = frameMix.filter { frame in
    if case .data(let data) = frame.payload { return data.data.readableBytes < 1000 }
    return true
}

func measureFrames(_ frameMix: [HTTP2Frame]) -> (encode: Double, decode: Double) {
    var out = ByteBuffer(capacity: 1 << 16)
    let encode = measure(operationsPerPass: frameMix.count) {
        out.clear()
        for frame in frameMix { HTTP2FrameEncoder.encode(frame, into: &out) }
    }
    var wire = ByteBuffer()
    for frame in frameMix { HTTP2FrameEncoder.encode(frame, into: &wire) }
    var decoded = 0
    let decode = measure(operationsPerPass: frameMix.count) {
        var input = wire
        while let frame = try! HTTP2FrameDecoder.decodeFrame(from: &input, maxFrameSize: 16384) {
            if case .data(let data) = frame.payload { decoded &+= data.data.readableBytes }
        }
    }
    precondition(decoded > 0)
    return (encode, decode)
}

// MARK: - Exchanges through two state machines

/// A client and a server connection back to back: the server answers every request with
/// `responseHead` and `responseBody`; the client consumes what it receives.
struct Exchange {
    var client = HTTP2Connection(role: .client, now: .zero)
    var server = HTTP2Connection(role: .server, now: .zero)
    var wire = ByteBuffer(capacity: 1 << 16)
    var completed = 0
    /// With `recording`, every octet the server sends is also appended here.
    var recording = false
    var recorded = ByteBuffer()

    init(recording: Bool = false) {
        self.recording = recording
        run()
    }

    mutating func run() {
        while true {
            wire.clear()
            client.flushOutput(into: &wire)
            let toServer = wire.readableBytes
            while let event = server.nextEvent(from: &wire) {
                switch event {
                case .request(let id, _, true):
                    respond(id)
                case .data(let id, let data, let end):
                    server.consumed(id, bytes: data.readableBytes)
                    if end { respond(id) }
                default:
                    break
                }
            }
            wire.clear()
            server.flushOutput(into: &wire)
            let toClient = wire.readableBytes
            if recording { recorded.writeBuffer(wire) }
            while let event = client.nextEvent(from: &wire) {
                switch event {
                case .data(let id, let data, _):
                    client.consumed(id, bytes: data.readableBytes)
                case .streamClosed:
                    completed += 1
                case .streamError, .streamReset, .connectionError:
                    fatalError("exchange failed: \(event)")
                default:
                    break
                }
            }
            if toServer == 0 && toClient == 0 && !client.hasPendingOutput && !server.hasPendingOutput { return }
        }
    }

    mutating func respond(_ id: HTTP2StreamID) {
        try! server.sendHeaders(id, responseHead, endStream: false)
        var body = responseBody
        try! server.sendData(id, &body, endStream: true)
    }

    mutating func get(_ count: Int) {
        for _ in 0..<count { _ = try! client.openStream(getRequest, endStream: true) }
        run()
    }

    mutating func post() {
        let id = try! client.openStream(postRequest, endStream: false).id
        var body = uploadBody
        try! client.sendData(id, &body, endStream: true)
        run()
    }
}

func measureExchanges() -> [String: Double] {
    var results: [String: Double] = [:]
    var single = Exchange()
    results["exchange-get"] = measure(operationsPerPass: 1) { single.get(1) }
    var eight = Exchange()
    results["exchange-get-x8"] = measure(operationsPerPass: 8) { eight.get(8) }
    var upload = Exchange()
    results["exchange-post-16k"] = measure(operationsPerPass: 1) { upload.post() }
    precondition(single.completed > 0 && eight.completed > 0 && upload.completed > 0)
    return results
}

// MARK: - The client alone, replaying a server's bytes

/// What a server sent a fresh client connection doing `count` GETs one after another: the bytes
/// before the first request, then the bytes answering each request. Replaying them into a fresh
/// client measures the client's work alone; nghttp2's client replays the same octets.
struct Transcript {
    var chunks: [ByteBuffer] = []

    static func record(exchanges count: Int) -> Transcript {
        var transcript = Transcript()
        var exchange = Exchange(recording: true)
        transcript.chunks.append(exchange.recorded)
        for _ in 0..<count {
            exchange.recorded.clear()
            exchange.get(1)
            transcript.chunks.append(exchange.recorded)
        }
        return transcript
    }

    /// One pass: a fresh client does every exchange; returns the exchanges completed.
    func replay() -> Int {
        var client = HTTP2Connection(role: .client, now: .zero)
        var output = ByteBuffer(capacity: 4096)
        var completed = 0
        for (index, chunk) in chunks.enumerated() {
            if index > 0 { _ = try! client.openStream(getRequest, endStream: true) }
            output.clear()
            client.flushOutput(into: &output)
            var input = chunk
            while let event = client.nextEvent(from: &input) {
                switch event {
                case .data(let id, let data, _): client.consumed(id, bytes: data.readableBytes)
                case .streamClosed: completed += 1
                case .streamError, .streamReset, .connectionError: fatalError("replay failed: \(event)")
                default: break
                }
            }
        }
        return completed
    }

    /// The file format the C driver reads: per chunk, a 4-octet big-endian length and the octets.
    func write(to path: String) throws {
        var file = ByteBuffer()
        for chunk in chunks {
            file.writeInteger(UInt32(chunk.readableBytes))
            file.writeBuffer(chunk)
        }
        try Data(file.readableBytesView).write(to: URL(fileURLWithPath: path))
    }
}

let transcript = Transcript.record(exchanges: 1000)
let transcriptPath = NSTemporaryDirectory() + "courier-h2-transcript-\(getpid()).bin"

func measureClientReplay() -> Double {
    precondition(transcript.replay() == 1000)
    return measure(operationsPerPass: 1000) { _ = transcript.replay() }
}

// MARK: - Reference

let benchmarksRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let driver = ProcessInfo.processInfo.environment["COURIER_H2_NGHTTP2_DRIVER"]
    ?? benchmarksRoot.appendingPathComponent(".build-bench/c/h2_nghttp2").path

/// Runs the nghttp2 driver and parses its "<workload> <ns>" lines.
func reference() -> [String: Double]? {
    guard FileManager.default.isExecutableFile(atPath: driver) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: driver)
    process.arguments = [transcriptPath]
    let output = Pipe()
    process.standardOutput = output
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    var result: [String: Double] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let ns = Double(parts[1]) { result[String(parts[0])] = ns }
    }
    return result
}

// COURIER_BENCH_ONLY=exchange-get (or -x8, -post-16k) runs one workload for about 5 s, for profiling.
if let only = ProcessInfo.processInfo.environment["COURIER_BENCH_ONLY"] {
    var exchange = Exchange()
    let start = cpuNanoseconds()
    var count = 0
    while cpuNanoseconds() - start < 5e9 {
        switch only {
        case "client-get": _ = transcript.replay()
        case "exchange-get-x8": exchange.get(8)
        case "exchange-post-16k": exchange.post()
        default: exchange.get(1)
        }
        count += 1
    }
    print(String(format: "%@: %.0f ns per round", only as NSString, (cpuNanoseconds() - start) / Double(count)))
    exit(0)
}

try transcript.write(to: transcriptPath)
var frames = (encode: Double.infinity, decode: Double.infinity)
var smallFrames = (encode: Double.infinity, decode: Double.infinity)
var ours: [String: Double] = [:]
var nghttp2: [String: Double]?
for _ in 0..<3 {
    let cycleFrames = measureFrames(frameMix)
    frames = (min(frames.encode, cycleFrames.encode), min(frames.decode, cycleFrames.decode))
    let cycleSmall = measureFrames(smallFrameMix)
    smallFrames = (min(smallFrames.encode, cycleSmall.encode), min(smallFrames.decode, cycleSmall.decode))
    for (name, ns) in measureExchanges() { ours[name] = min(ours[name] ?? .infinity, ns) }
    ours["client-get"] = min(ours["client-get"] ?? .infinity, measureClientReplay())
    if let cycle = reference() {
        var merged = nghttp2 ?? cycle
        for (name, ns) in cycle { merged[name] = min(merged[name] ?? .infinity, ns) }
        nghttp2 = merged
    }
}
try? FileManager.default.removeItem(atPath: transcriptPath)
if nghttp2 == nil { print("note: nghttp2 driver not found at \(driver) (make -C Benchmarks build)") }

print("frame codec (mix of \(frameMix.count) frames, 16.5 KiB of DATA per pass)")
print(String(format: "  encode  %7.1f ns/frame  %6.2f M frames/s", frames.encode, 1e3 / frames.encode))
print(String(format: "  decode  %7.1f ns/frame  %6.2f M frames/s", frames.decode, 1e3 / frames.decode))
print("frame codec (the same mix without the 16 KiB DATA frame: \(smallFrameMix.count) frames)")
print(String(format: "  encode  %7.1f ns/frame  %6.2f M frames/s", smallFrames.encode, 1e3 / smallFrames.encode))
print(String(format: "  decode  %7.1f ns/frame  %6.2f M frames/s", smallFrames.decode, 1e3 / smallFrames.decode))
print("exchanges in memory: client and server state machines (exchange-*), or the client alone")
print("replaying the server's octets (client-get; nghttp2's client replays the same octets)")
func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
print("  workload           Courier ns  nghttp2 ns  vs nghttp2  Courier per second")
for name in ["exchange-get", "exchange-get-x8", "exchange-post-16k", "client-get"] {
    let mine = ours[name]!
    let theirs = nghttp2?[name]
    print("  " + name.padding(toLength: 17, withPad: " ", startingAt: 0) + pad(String(format: "%.0f", mine), 11)
          + pad(theirs.map { String(format: "%.0f", $0) } ?? "-", 12)
          + pad(theirs.map { String(format: "%.2fx", mine / $0) } ?? "-", 12) + pad(String(format: "%.0f", 1e9 / mine), 20))
}
