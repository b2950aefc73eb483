import Courier
import CourierCore
import CourierTestServer
#if canImport(Glibc)
import Glibc
#endif

/// The scripted tour of `courier demo`: each step uses the public API against the in-process test server over
/// TLS and reports one line. A step that does not behave as the library promises marks the tour failed.
struct DemoTour {
    /// The tour's sizes (smaller in tests).
    struct Sizes: Sendable {
        var concurrentRequests = 1000
        var downloadBytes = 100 * 1_000_000
        var ndjsonLines = 5
    }

    /// A step's outcome.
    enum Outcome { case passed, unavailable, failed }

    let server: TestServer
    let sizes: Sizes
    /// A client that negotiates (HTTP/2 when both sides have it) and one limited to HTTP/1.1.
    let negotiating: HTTPClient
    let http1: HTTPClient
    private(set) var outcomes: [Outcome] = []

    init(server: TestServer, sizes: Sizes) {
        self.server = server
        self.sizes = sizes
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = server.trustRoots ?? .system
        negotiating = HTTPClient(configuration: configuration)
        configuration.httpVersion = .http1Only
        http1 = HTTPClient(configuration: configuration)
    }

    /// Runs every step, printing as it goes; returns whether all behaved.
    mutating func run() async -> Bool {
        let start = SystemClock.now()
        Self.say("Courier demo: in-process test server at \(server.baseURL) (TLS with a CA generated in memory)")
        await http1OverTLS()
        let http2 = await negotiateHTTP2()
        await concurrentRequests(http2: http2)
        await streamedDownload()
        await ndjsonLines()
        await typedError()
        await negotiating.shutdown()
        await http1.shutdown()
        let failed = outcomes.filter { $0 == .failed }.count
        Self.say("\(failed == 0 ? "done" : "\(failed) step\(failed == 1 ? "" : "s") failed") in \(Self.elapsed(since: start))")
        return failed == 0
    }

    private mutating func report(_ outcome: Outcome, _ title: String, _ detail: String) {
        outcomes.append(outcome)
        let mark = switch outcome {
        case .passed: "✓"
        case .unavailable: "–"
        case .failed: "✗"
        }
        Self.say("  \(mark) \(title.padding(to: 22)) \(detail)")
    }

    private mutating func http1OverTLS() async {
        let start = SystemClock.now()
        do {
            let response = try await http1.get(server.url("/connection-info"))
            let info = try await response.body.string(upTo: 4096).trimmingNewlines()
            let ok = response.status == .ok && response.version == .http1_1
            report(ok ? .passed : .failed, "HTTP/1.1 over TLS",
                   "\(response.status.code) \(response.version.rawValue) in \(Self.elapsed(since: start)): \(info)")
        } catch {
            report(.failed, "HTTP/1.1 over TLS", "\(error)")
        }
    }

    /// Asks for HTTP/2 in ALPN; returns whether it was agreed.
    private mutating func negotiateHTTP2() async -> Bool {
        let start = SystemClock.now()
        do {
            let response = try await negotiating.get(server.url("/connection-info"))
            let info = try await response.body.string(upTo: 4096).trimmingNewlines()
            if response.version == .http2 {
                report(.passed, "HTTP/2 over TLS", "\(response.status.code) HTTP/2 (ALPN h2) in \(Self.elapsed(since: start)): \(info)")
                return true
            }
            report(.unavailable, "HTTP/2 over TLS",
                   "not available in this build: ALPN settled on \(response.version.rawValue); the tour continues over HTTP/1.1")
        } catch {
            report(.unavailable, "HTTP/2 over TLS", "not available in this build (\(error.code): \(error.message))")
        }
        return false
    }

    private mutating func concurrentRequests(http2: Bool) async {
        let count = sizes.concurrentRequests
        let client = http2 ? negotiating : http1
        let recordedBefore = server.recorder.requestCount(path: "/bytes/1024")
        let start = SystemClock.now()
        let url = server.url("/bytes/1024")
        let succeeded = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do {
                        let response = try await client.get(url)
                        let body = try await response.body.collect(upTo: 4096)
                        return response.status == .ok && body.readableBytes == 1024 && TestPattern.matches(body, offset: 0)
                    } catch {
                        return false
                    }
                }
            }
            var succeeded = 0
            for await ok in group where ok { succeeded += 1 }
            return succeeded
        }
        // The connections that carried this step's requests, as the server saw them.
        let connections = Set(server.recorder.requests(path: "/bytes/1024").dropFirst(recordedBefore).map(\.connectionID)).count
        let how = http2 ? "multiplexed on \(connections) HTTP/2 connection\(connections == 1 ? "" : "s") (the server allows \(Self.grouped(server.configuration.http2.maxConcurrentStreams)) streams)"
            : "over \(connections) pooled HTTP/1.1 connection\(connections == 1 ? "" : "s") (no HTTP/2 to multiplex on)"
        report(succeeded == count ? .passed : .failed, "\(Self.grouped(count)) concurrent",
               "\(succeeded)/\(count) answered 200 with their 1 KiB verified, in \(Self.elapsed(since: start)), \(how)")
    }

    private mutating func streamedDownload() async {
        let size = sizes.downloadBytes
        let start = SystemClock.now()
        let residentBefore = Self.residentBytes()
        var peakResident = residentBefore
        var received = 0
        var intact = true
        do {
            let response = try await negotiating.get(server.url("/bytes/\(size)"))
            var nextSample = 0
            for try await chunk in response.body {
                if intact && !TestPattern.matches(chunk, offset: received) { intact = false }
                received += chunk.readableBytes
                if received >= nextSample {
                    peakResident = max(peakResident, Self.residentBytes())
                    nextSample = received + (4 << 20)
                }
            }
            let seconds = Double(SystemClock.now().nanoseconds &- start.nanoseconds) / 1e9
            let rate = seconds > 0 ? Double(received) / seconds / 1_000_000 : 0
            let growth = max(0, peakResident - residentBefore)
            let ok = received == size && intact
            report(ok ? .passed : .failed, "\(size / 1_000_000) MB download",
                   "\(received) bytes streamed in \(Self.elapsed(since: start)) (\(JSONText.fixed(rate, decimals: 0)) MB/s), "
                   + "pattern \(intact ? "verified" : "CORRUPT"), resident memory grew \(ProgressBar.bytes(growth)) at most")
        } catch {
            report(.failed, "\(size / 1_000_000) MB download", "after \(received) bytes: \(error)")
        }
    }

    private mutating func ndjsonLines() async {
        let count = sizes.ndjsonLines
        let start = SystemClock.now()
        var arrivals: [String] = []
        var expected = 0
        do {
            let response = try await negotiating.get(server.url("/ndjson/\(count)?interval=50"))
            for try await line in response.body.lines() {
                guard line == "{\"index\":\(expected)}" else { break }
                expected += 1
                arrivals.append("+" + JSONText.fixed(Double(SystemClock.now().nanoseconds &- start.nanoseconds) / 1e6, decimals: 0))
            }
            report(expected == count ? .passed : .failed, "NDJSON lines",
                   "\(expected)/\(count) lines, each as the server sent it, 50 ms apart: \(arrivals.joined(separator: ", ")) ms")
        } catch {
            report(.failed, "NDJSON lines", "after \(expected) lines: \(error)")
        }
    }

    private mutating func typedError() async {
        var received = 0
        do {
            let response = try await negotiating.get(server.url("/bytes/1000000?fault=reset&at=100000"))
            for try await chunk in response.body { received += chunk.readableBytes }
            report(.failed, "typed error", "the body was not cut short (\(received) bytes)")
        } catch let error as HTTPClientError {
            switch error.code {
            case .connectionClosed, .streamReset:
                report(.passed, "typed error",
                       "server reset after \(received) bytes → HTTPClientError.\(error.code) (isSafeToRetry: \(error.isSafeToRetry))")
            default:
                report(.failed, "typed error", "unexpected \(error)")
            }
        } catch {
            report(.failed, "typed error", "untyped \(error)")
        }
    }

    /// Prints a line at once, even when standard output is a file or a pipe (the tour is watched live).
    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    /// The process's resident set size (from /proc/self/statm).
    static func residentBytes() -> Int {
        let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return 0 }
        let fields = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func elapsed(since start: Timestamp) -> String {
        let milliseconds = Double(SystemClock.now().nanoseconds &- start.nanoseconds) / 1e6
        return milliseconds < 1000 ? JSONText.fixed(milliseconds, decimals: 1) + " ms"
            : JSONText.fixed(milliseconds / 1000, decimals: 2) + " s"
    }

    static func grouped(_ number: Int) -> String {
        var digits = String(number)
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
            index -= 3
        }
        return digits
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    func padding(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }

    /// The string without trailing line ends.
    func trimmingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
