import CourierCore
import Foundation
import Synchronization

/// What a curl run produced.
struct CurlResult: Sendable {
    var exitCode: Int32
    var output: Data
    var errorOutput: String
    var outputString: String { String(decoding: output, as: UTF8.self) }
}

/// Runs the `curl` command-line client as a real HTTP peer, with a timeout (it is killed when it runs longer).
enum Curl {
    static let path: String? = ["/usr/bin/curl", "/usr/local/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static var isAvailable: Bool { path != nil }

    /// Runs curl with `arguments` (`--silent --show-error` are added); stdout is returned whole, so large
    /// downloads should go to `-o /dev/null`.
    static func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(60)) async throws -> CurlResult {
        guard let path else { throw CurlError(description: "curl is not installed") }
        return try await runTool(path, ["--silent", "--show-error"] + arguments, stdin: stdin, timeout: timeout)
    }
}

/// Where the nghttp2 command-line client is, if installed.
enum NGHTTP {
    static let path: String? = ["/usr/bin/nghttp", "/usr/local/bin/nghttp"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var isAvailable: Bool { path != nil }

    /// Runs `nghttp` (verbose frame log on stdout with `-v`).
    static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CurlResult {
        guard let path else { throw CurlError(description: "nghttp is not installed") }
        return try await runTool(path, arguments, stdin: nil, timeout: timeout)
    }
}

/// Runs a command-line tool with a timeout (killed when it runs longer); stdout whole, stderr as text.
func runTool(_ path: String, _ arguments: [String], stdin: Data?, timeout: Duration) async throws -> CurlResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outputURL = directory.appendingPathComponent("out")
    let errorURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: outputURL)
    process.standardError = try FileHandle(forWritingTo: errorURL)
    let input = Pipe()
    process.standardInput = input
    let exited = ProcessExit()
    process.terminationHandler = { process in exited.finish(process.terminationStatus) }
    try process.run()
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
    try? input.fileHandleForWriting.close()
    let pid = process.processIdentifier
    let timedOut = Atomic<Bool>(false)
    let killer = Task {
        try await Task.sleep(for: timeout)
        timedOut.store(true, ordering: .relaxed)
        kill(pid, SIGKILL)
    }
    let status = await exited.wait()
    killer.cancel()
    if timedOut.load(ordering: .relaxed) {
        throw CurlError(description: "\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    return CurlResult(exitCode: status, output: (try? Data(contentsOf: outputURL)) ?? Data(),
                      errorOutput: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
}

/// A process's exit status, delivered once to whoever waits.
private final class ProcessExit: Sendable {
    private let state = Locked<(status: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))

    func finish(_ status: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            state.status = status
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: status)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let done = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

struct CurlError: Error, CustomStringConvertible {
    let description: String
}

/// Writes `text` to a temporary file (e.g. a CA certificate for `--cacert`) and returns its path.
func temporaryFile(_ text: String, name: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("courier-\(UUID().uuidString)-\(name)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}
