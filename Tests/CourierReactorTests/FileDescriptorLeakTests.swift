import Testing
import CourierCore
import CourierTestSupport
@testable import CourierReactor
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileDescriptorLeakTests {
    /// Runs in a child process (an exit test) so that counting /proc/self/fd sees only this scenario's
    /// descriptors, not those of suites running in parallel. The scenario runs twice: the first run lets the
    /// runtime open what it opens lazily (Dispatch's timers and event manager); the second is counted.
    @Test func shuttingLoopsDownLeavesNoDescriptorOpen() async throws {
        // The child prints its verdict and exits normally, so a failure arrives with its explanation.
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            do {
                _ = try await descriptorScenario()
                let before = openFileDescriptorCount()
                let beforeList = openFileDescriptors()
                let during = try await descriptorScenario()
                let after = openFileDescriptorCount()
                if during < before + 4 + 1 + 10 || after != before {
                    print("descriptors before \(before), during \(during), after \(after)")
                    print("before: \(beforeList)\nafter: \(openFileDescriptors())")
                } else {
                    print("ok")
                }
            } catch {
                print("the scenario failed: \(error)")
            }
        }
        let verdict = result.map { String(decoding: $0.standardOutputContent, as: UTF8.self) } ?? "ok"
        #expect(verdict.hasSuffix("ok\n"), "\(verdict)")
    }
}

/// Starts two loops, an echo server and 60 connections (10 left open), shuts down, and returns the number
/// of descriptors that were open just before the shutdown.
private func descriptorScenario() async throws -> Int {
    let group = try EventLoopGroup(loopCount: 2, name: "test-fd")
    let server = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: group.loops[0],
                                   childLoops: group.loops) { $0.start(handler: EchoHandler()) }
    try await withTimeout {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<50 {
                tasks.addTask {
                    _ = try await roundTrip(Array("\(index)".utf8), to: server.localAddress, on: group.next())
                }
            }
            try await tasks.waitForAll()
        }
    }
    // Leave connections open on purpose: shutdown must close them.
    for _ in 0..<10 {
        let connection = try await withTimeout {
            try await StreamConnection.connect(to: server.localAddress, on: group.loops[1])
        }
        try await group.loops[1].submit { connection.start(handler: EchoHandler()) }
    }
    let during = openFileDescriptorCount()
    group.syncShutdown()
    return during
}
