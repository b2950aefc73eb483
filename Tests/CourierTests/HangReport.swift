@testable import Courier
import CourierTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a client looked like when a request it ran did not end in time: its pools' occupancy and every
/// thread's stack (from gdb, when installed), saved to a file so an intermittent hang leaves evidence.
enum HangReport {
    /// Captures the report and returns a one-line summary naming the file that holds the stacks.
    static func capture(_ client: HTTPClient, label: String) async -> String {
        let pools = client.pools.statistics.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        let path = "/tmp/courier-hang-\(getpid())-\(label)-\(Int(Date().timeIntervalSince1970)).txt"
        var summary = "pools: [\(pools)]"
        let gdb = "/usr/bin/gdb"
        if FileManager.default.isExecutableFile(atPath: gdb),
           let process = try? ChildProcess([gdb, "-p", "\(getpid())", "-batch", "-ex", "thread apply all bt 40"],
                                           outputPath: path) {
            _ = await process.exitCode(timeLimit: .seconds(60))
            summary += "; thread stacks in \(path)"
        }
        return summary
    }
}
