// A concurrent downloader with progress: downloads a set of files to disk, a few at a time, streaming each
// body to its file (never held in memory) and printing overall progress; then checks every byte.
//
//   make example-downloader                 (or: swift run ExampleDownloader [files] [concurrency])
//
// The files come from Courier's in-process test server (`/bytes/N`: N deterministic bytes), some of them
// slowed down, one of them cut off midway once, to show a failed download being retried.
import Courier
import CourierTestServer
import Foundation
import Synchronization

/// Bytes received per file, for the progress line.
final class Progress: Sendable {
    private let received: Mutex<[Int]>
    private let lastPrinted = Mutex(ContinuousClock.now)
    let total: Int

    init(files: Int, total: Int) {
        received = Mutex(Array(repeating: 0, count: files))
        self.total = total
    }

    func update(file: Int, bytes: Int) {
        let sum = received.withLock { received in
            received[file] = bytes
            return received.reduce(0, +)
        }
        let now = ContinuousClock.now
        let due = lastPrinted.withLock { last in
            guard now - last > .milliseconds(200) || sum == total else { return false }
            last = now
            return true
        }
        if due { print("  \(sum * 100 / total)%  \(sum >> 20) of \(total >> 20) MiB") }
    }
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let fileCount = arguments.first ?? 10
let concurrency = arguments.dropFirst().first ?? 4
let sizes = (0..<fileCount).map { (($0 * 7919) % 13 + 1) << 20 }     // 1 to 13 MiB
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-downloads-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let server = try await TestServer.start()
// The third file's connection breaks after 1 MiB the first time it is asked for.
server.injectFaults([.dropConnection(at: .afterBodyBytes(1 << 20))], count: 1, path: "/bytes/\(sizes[min(2, fileCount - 1)])")
let client = HTTPClient()
let progress = Progress(files: fileCount, total: sizes.reduce(0, +))
let started = ContinuousClock.now

print("downloading \(fileCount) files (\(progress.total >> 20) MiB), \(concurrency) at a time")
let results = try await Concurrently.gather(Array(sizes.enumerated()), maximumConcurrency: concurrency) { (index, size) in
    let path = "\(directory)/file-\(index).bin"
    for attempt in 1...3 {
        do {
            let response = try await client.get(server.url("/bytes/\(size)?chunk=65536"))
            guard response.status == .ok else { throw HTTPClientError(.invalidRequest, "status \(response.status)") }
            return try await response.body.download(to: path) { bytes in progress.update(file: index, bytes: bytes) }
        } catch let error as HTTPClientError where error.isSafeToRetry || error.isConnectionClosed || error.code == .protocolViolation {
            print("  file \(index): attempt \(attempt) failed (\(error.code)), retrying")
            progress.update(file: index, bytes: 0)
            if attempt == 3 { throw error }
        }
    }
    throw HTTPClientError(.invalidRequest, "unreachable")
}
let elapsed = ContinuousClock.now - started

// Check every file byte for byte.
var intact = 0
for (index, result) in results.enumerated() {
    guard case .success(let written) = result, written == sizes[index],
          let data = FileManager.default.contents(atPath: "\(directory)/file-\(index).bin"),
          TestPattern.matches(data, offset: 0) else {
        print("file \(index): \(result)")
        continue
    }
    intact += 1
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("\(intact) of \(fileCount) files intact; \(progress.total >> 20) MiB in \(elapsed)",
      "(\(Int(Double(progress.total >> 20) / max(seconds, 0.001))) MiB/s)")
await client.shutdown()
await server.shutdown()
if intact != fileCount { exit(1) }
