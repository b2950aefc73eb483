import CourierTestServer
import CourierTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the `courier` executable (built by `swift build --build-tests` next to the test bundle) in a child
/// process, with standard output and standard error captured separately and awaited without blocking.
enum CLI {
    /// What a run produced.
    struct Result {
        /// The exit status.
        var status: Int32
        /// Standard output, bytes as written.
        var output: [UInt8]
        /// Standard error as text.
        var errors: String

        var outputText: String { String(decoding: output, as: UTF8.self) }

        /// The `--summary` line (the last line of standard error that is a JSON object), parsed.
        func summary() throws -> [String: Any] {
            guard let line = errors.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
                throw CLIError("no summary line in standard error: \(errors)")
            }
            return try jsonObject(String(line))
        }
    }

    /// The executable next to the running test binary.
    static let executable: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        precondition(count > 0, "cannot find the test binary")
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<path.lastIndex(of: "/")!]) + "/courier"
    }()

    /// Whether the executable was built (it is when the tests are built with `swift build --build-tests`).
    static var isBuilt: Bool { access(executable, X_OK) == 0 }

    /// Runs `courier arguments…` with `input` as standard input (none: /dev/null).
    static func run(_ arguments: [String], input: [UInt8]? = nil, timeLimit: Duration = .seconds(60)) async throws -> Result {
        let scratch = try TemporaryDirectory()
        let outputPath = scratch.path + "/stdout", errorPath = scratch.path + "/stderr"
        var inputPath = "/dev/null"
        if let input {
            inputPath = scratch.path + "/stdin"
            try Data(input).write(to: URL(fileURLWithPath: inputPath))
        }
        let script = #"out=$1; err=$2; in=$3; shift 3; exec "$@" <"$in" >"$out" 2>"$err""#
        let process = try ChildProcess(["/bin/sh", "-c", script, "sh", outputPath, errorPath, inputPath, executable]
                                       + arguments, lifetime: 300)
        let status: Int32
        do {
            status = try await waitForExit(process, timeLimit: timeLimit)
        } catch {
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw CLIError("courier \(arguments.joined(separator: " ")): \(error)\nstandard output:\n\(output)\nstandard error:\n\(errors)")
        }
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))).map { [UInt8]($0) } ?? []
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return Result(status: status, output: output, errors: errors)
    }

    /// Waits for `process` to exit, polling without blocking a thread, and returns its exit status.
    static func waitForExit(_ process: ChildProcess, timeLimit: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeLimit
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.stop()
                throw CLIError("the process did not exit within \(timeLimit)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return process.wait(seconds: 1)
    }
}

/// A test failure with a message.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Parses a JSON object.
func jsonObject(_ text: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
        throw CLIError("not a JSON object: \(text)")
    }
    return object
}

/// A directory under /tmp removed when the value is released.
final class TemporaryDirectory: @unchecked Sendable {
    // Sendable proof: `path` is immutable.
    let path: String

    init() throws {
        var template = Array("/tmp/courier-cli-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CLIError("mkdtemp failed") }
        path = String(cString: made)
    }

    /// Writes `bytes` to `name` in the directory and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The SHA-256 of a file as `sha256sum` computes it (a reference independent of the CLI's own).
func referenceSHA256(ofFile path: String) async throws -> String {
    let scratch = try TemporaryDirectory()
    let process = try ChildProcess(["/usr/bin/sha256sum", path], outputPath: scratch.path + "/sum")
    _ = try await CLI.waitForExit(process, timeLimit: .seconds(60))
    let text = try String(contentsOfFile: scratch.path + "/sum", encoding: .utf8)
    return String(text.prefix(64))
}

/// Deterministic pseudo-random bytes (every byte value occurs), for bodies that must arrive unchanged.
func testBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

/// Runs `body` against a fresh in-process test server, shut down afterwards whether `body` throws or not.
func withServer(_ configuration: TestServer.Configuration = TestServer.Configuration(),
                _ body: (TestServer) async throws -> Void) async throws {
    let server = try await withTimeout { try await TestServer.start(configuration) }
    do {
        try await body(server)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}
