import CourierTestSupport
import Foundation
import Testing

/// The programs in Examples/ run to success (each checks its own results and exits non-zero otherwise), with
/// small arguments so they stay quick. They are built next to the test binary by `swift build --build-tests`.
@Suite struct ExampleProgramTests {
    /// `name` next to the running test binary.
    static func executable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(decoding: buffer[0..<max(count, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) + "/" + name
    }

    /// Runs an example and returns its exit code and output.
    static func run(_ name: String, _ arguments: [String]) async throws -> (Int32, String) {
        let program = executable(name)
        try #require(access(program, X_OK) == 0, "\(program) is not built (make build-tests builds it)")
        let output = NSTemporaryDirectory() + "courier-example-\(name)-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess([program] + arguments, outputPath: output, lifetime: 300)
        let status = await process.exitCode(timeLimit: .seconds(120))
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test func crawler() async throws {
        let (status, output) = try await Self.run("ExampleCrawler", ["4", "3", "400"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("listing: 40 items on 4 pages"), "\(output)")
        #expect(output.contains("details: 40 fetched, 0 failed"), "\(output)")
    }

    @Test func downloader() async throws {
        let (status, output) = try await Self.run("ExampleDownloader", ["4", "2"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("4 of 4 files intact"), "\(output)")
    }

    @Test func streamConsumer() async throws {
        let (status, output) = try await Self.run("ExampleStreamConsumer", ["5", "5"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("5 NDJSON lines and 5 events received"), "\(output)")
    }
}
