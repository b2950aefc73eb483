import Testing
import Courier
import CourierTestServer
import CourierTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// 10,000 requests must not grow descriptors or memory: run in a child process (an exit test) so that the
/// process-wide counts see only this scenario.
@Suite struct ResourceGrowthTests {
    @Test func tenThousandRequestsLeaveDescriptorsAndMemoryFlat() async throws {
        await #expect(processExitsWith: .success) {
            let server = try await TestServer.start()
            let client = HTTPClient()
            func batch(_ count: Int) async throws {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<count {
                        group.addTask {
                            let path = index % 10 == 0 ? "/bytes/65536" : "/status/200"
                            let response = try await client.get(server.url(path))
                            _ = try await response.body.collect(upTo: 1 << 20)
                        }
                        if index >= 64 { try await group.next() }
                    }
                    try await group.waitForAll()
                }
            }
            try await batch(2_000)   // warm-up: pools, buffers and runtime structures reach their steady size
            let descriptorsBefore = openFileDescriptorCount()
            let memoryBefore = residentBytes()
            try await batch(10_000)
            let descriptorsAfter = openFileDescriptorCount()
            let memoryAfter = residentBytes()
            await client.shutdown()
            await server.shutdown()
            let grewDescriptors = descriptorsAfter > descriptorsBefore
            // Under a sanitizer, freed memory sits in the runtime's quarantine and history: resident size then
            // measures the sanitizer, not the client (`make test` checks it; descriptors are checked everywhere).
            let grewMemory = !runsUnderSanitizer() && memoryAfter > memoryBefore + 8 << 20
            if grewDescriptors || grewMemory {
                print("descriptors \(descriptorsBefore) → \(descriptorsAfter), RSS \(memoryBefore >> 10) → \(memoryAfter >> 10) KiB")
                exit(1)
            }
        }
    }
}

/// Resident set size of this process in bytes (from /proc/self/statm).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
    let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
