import Foundation

/// A command-line peer (openssl, nginx, curl) run for one test: output goes to files in the test's
/// directory, stdin is a pipe, and the process is killed when the test is done with it.
final class ExternalProcess {
    let process = Process()
    let name: String
    private let stdin = Pipe()
    private let outputPath: String
    private let errorPath: String

    init(_ executable: String, _ arguments: [String], directory: TestDirectory, name: String) throws {
        self.name = name
        outputPath = directory.path(name + ".out")
        errorPath = directory.path(name + ".err")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.root)
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
    }

    deinit { stop() }

    var isRunning: Bool { process.isRunning }

    /// Everything the process printed so far.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Sends text to the process's stdin.
    func send(_ text: String) {
        try? stdin.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Closes the process's stdin.
    func closeInput() {
        try? stdin.fileHandleForWriting.close()
    }

    /// Waits for the process to exit by itself, killing it after `timeout`; returns its exit status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(30)) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
        if process.isRunning { stop() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until the process has printed `text` (on stdout, or stderr when `inErrors`), polling until
    /// `timeout`; false when it did not.
    func waitForOutput(_ text: String, inErrors: Bool = false, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (inErrors ? errorOutput : output).contains(text) { return true }
            usleep(5_000)
        }
        return false
    }

    /// Kills the process (SIGKILL: peers are not given the chance to close cleanly) and reaps it.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// A short report for failure messages.
    var report: String { "\(name) stdout:\n\(output.suffix(2000))\n\(name) stderr:\n\(errorOutput.suffix(2000))" }
}

/// A temporary directory for one test's files (certificates, configurations, logs), removed afterwards.
final class TestDirectory {
    let root: String

    init(_ label: String) throws {
        root = NSTemporaryDirectory() + "courier-tls-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// Writes `text` to a file in the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Where a command-line tool is installed, or nil.
func executable(_ name: String) -> String? {
    for directory in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] {
        let path = directory + "/" + name
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
