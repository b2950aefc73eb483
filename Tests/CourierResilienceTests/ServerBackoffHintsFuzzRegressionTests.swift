import Courier
import CourierResilience
import Foundation
import Testing

/// The committed corpus of Fuzz/Sources/FuzzServerBackoffHints replayed through the harness's checks in a
/// debug build: every input the fuzzer kept parses without trapping and yields no negative delay.
@Suite struct ServerBackoffHintsFuzzRegressionTests {
    static let corpus: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fuzz/Corpus/FuzzServerBackoffHints"
    }()

    static let names = ["Retry-After", "RateLimit-Reset", "X-RateLimit-Reset", "RateLimit-Remaining", "X-RateLimit-Remaining",
                        "RateLimit-Limit", "X-RateLimit-Limit", "RateLimit", "Date"]

    @Test func corpusInputsYieldSaneHints() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
        #expect(files.count >= 100)
        var withHints = 0
        for file in files {
            let input = Array(try #require(FileManager.default.contents(atPath: Self.corpus + "/" + file)))
            guard let first = input.first else { continue }
            let unixTime: Double = switch first % 3 {
            case 0: 1_795_000_000
            case 1: 0
            default: 1e12
            }
            var fields = HTTPFields()
            for line in input.dropFirst().split(separator: 0x0A, omittingEmptySubsequences: true) {
                let name = HTTPField.Name(Self.names[Int(line[line.startIndex]) % Self.names.count])!
                fields.append(HTTPField(name: name, value: String(decoding: line.dropFirst(), as: UTF8.self)))
            }
            let hints = ServerBackoffHints(fields: fields, unixTime: unixTime)
            if !hints.isEmpty { withHints += 1 }
            for delay in [hints.retryAfter, hints.reset, hints.requestedDelay(status: .tooManyRequests)] {
                if let delay { #expect(delay >= .zero, "\(file): \(delay)") }
            }
            #expect((hints.remaining ?? 0) >= 0 && (hints.limit ?? 0) >= 0, "\(file)")
        }
        // The corpus exercises the parsers, not only rejections.
        #expect(withHints >= files.count / 4)
    }
}
