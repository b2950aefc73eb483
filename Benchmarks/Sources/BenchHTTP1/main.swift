// HTTP/1.1 response parsing: Courier's parser and nodejs/http-parser 2.9 (C, Benchmarks/C/http1_http_parser.c)
// on the same inputs in the same run. Prints ns per response, GB/s, and the ratio Courier / http-parser
// (below 1 means Courier is faster). The project's goal for the head is a ratio of at most 1.2.
import CourierCore
import CourierHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// A typical API response head (nginx-style fields, 405 bytes, no body).
let typicalHead = "HTTP/1.1 200 OK\r\nDate: Wed, 26 Nov 2025 19:39:00 GMT\r\nContent-Type: application/json; charset=utf-8\r\n"
    + "Content-Length: 0\r\nConnection: keep-alive\r\nServer: nginx/1.22.1\r\n"
    + "Cache-Control: no-cache, no-store, must-revalidate\r\nETag: \"5f3a9c2b-1a2b\"\r\nVary: Accept-Encoding\r\n"
    + "X-Request-Id: 8a7f3c2e-4b1d-4e6f-9a0b-1c2d3e4f5a6b\r\n"
    + "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\nX-Frame-Options: DENY\r\n\r\n"

/// A response with a 1 MiB body sent in chunks of `chunkSize` bytes.
func chunkedResponse(chunkSize: Int, total: Int = 1 << 20) -> [UInt8] {
    var bytes = Array("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
    var sent = 0
    while sent < total {
        let size = min(chunkSize, total - sent)
        bytes += Array((String(size, radix: 16) + "\r\n").utf8)
        bytes += (0..<size).map { UInt8(truncatingIfNeeded: ($0 + sent) &* 31) }
        bytes += [13, 10]
        sent += size
    }
    bytes += Array("0\r\n\r\n".utf8)
    return bytes
}

func nowNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}

/// Calibrates to about 50 ms per round and returns the best of 9 rounds, in ns per call.
func measure(_ operation: () -> Void) -> Double {
    var iterations = 1
    while true {
        let start = nowNanoseconds()
        for _ in 0..<iterations { operation() }
        if nowNanoseconds() - start > 5e7 { break }
        iterations *= 2
    }
    var best = Double.infinity
    for _ in 0..<9 {
        let start = nowNanoseconds()
        for _ in 0..<iterations { operation() }
        best = min(best, (nowNanoseconds() - start) / Double(iterations))
    }
    return best
}

/// A long-lived parser, as on a keep-alive connection, and a sink that keeps the work observable.
struct CourierRun {
    var parser = HTTP1ResponseParser()
    var sink = 0

    /// One response: head (status and field count read), body slices, end.
    mutating func parseResponse(_ input: ByteBuffer) {
        parser.expectResponse(toMethod: "GET")
        parser.append(input)
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let head):
                    sink &+= head.status &+ head.fields.count
                case .body(let bytes):
                    sink &+= bytes.readableBytes
                case .end:
                    return
                case .informational, .upgraded:
                    fatalError("unexpected event")
                }
            }
        } catch {
            fatalError("parse failed: \(error)")
        }
        fatalError("response did not end")
    }
}

/// Runs the C driver on the same inputs; returns ns per response for each file, in order.
func httpParserTimings(_ files: [String]) -> [Double]? {
    var path = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &path, path.count - 1)
    guard length > 0 else { return nil }
    let executable = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let directory = executable[..<executable.lastIndex(of: "/")!]
    // `make -C Benchmarks build` puts it in .build-bench/c; this executable is in .build-bench/<triple>/release.
    let candidates = getenv("COURIER_HTTP_PARSER_DRIVER").map { [String(cString: $0)] }
        ?? ["\(directory)/../c/http1_http_parser", "\(directory)/../../c/http1_http_parser"]
    guard let driver = candidates.first(where: { access($0, X_OK) == 0 }),
          let pipe = popen(([driver] + files).joined(separator: " "), "r") else {
        print("C driver not found at \(candidates) (build it with `make -C Benchmarks build`)")
        return nil
    }
    var timings: [Double] = []
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), pipe) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let value = text.split(separator: " ").last.flatMap({ Double($0.trimmingCharacters(in: .newlines)) }) {
            timings.append(value)
        }
    }
    pclose(pipe)
    return timings.count == files.count ? timings : nil
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> Substring {
        var result = self
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}

extension Set where Element == Character {
    static let newlines: Set<Character> = ["\n", "\r"]
}

let inputs: [(name: String, bytes: [UInt8])] = [
    ("head, \(typicalHead.utf8.count) B", Array(typicalHead.utf8)),
    ("1 MiB chunked, 8 KiB chunks", chunkedResponse(chunkSize: 8192)),
    ("1 MiB chunked, 256 B chunks", chunkedResponse(chunkSize: 256)),
]

var template = Array("/tmp/courier-bench-http1-XXXXXX".utf8CString)
guard let directoryPointer = mkdtemp(&template) else { fatalError("mkdtemp failed") }
let directory = String(cString: directoryPointer)
let files = inputs.enumerated().map { index, input -> String in
    let path = "\(directory)/input\(index)"
    let file = fopen(path, "wb")!
    _ = input.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    return path
}

let reference = httpParserTimings(files)
for file in files { unlink(file) }
rmdir(directory)

print("HTTP/1.1 response parsing, best of 9 rounds (ns per response; GB/s = input bytes per ns)")
print("input                          Courier                 http-parser 2.9          Courier / http-parser")
// An optional argument selects one input by index (for profiling).
let selected = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) : nil
for (index, input) in inputs.enumerated() where selected == nil || selected == index {
    let buffer = ByteBuffer(bytes: input.bytes)
    var run = CourierRun()
    let courier = measure { run.parseResponse(buffer) }
    if run.sink == 42 { print("") }
    let gigabytes = { (ns: Double) in Double(input.bytes.count) / ns }
    var line = input.name.padding(to: 31)
        + "\(format(courier)) ns \(format(gigabytes(courier), digits: 2)) GB/s".padding(to: 24)
    if let reference {
        let c = reference[index]
        line += "\(format(c)) ns \(format(gigabytes(c), digits: 2)) GB/s".padding(to: 25)
            + "\(format(courier / c, digits: 2))×"
    }
    print(line)
}

func format(_ value: Double, digits: Int = 1) -> String {
    var scaled = value
    for _ in 0..<digits { scaled *= 10 }
    let rounded = Int(scaled.rounded())
    var text = String(rounded)
    if digits > 0 {
        while text.count <= digits { text = "0" + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
    }
    return text
}

extension String {
    func padding(to width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
