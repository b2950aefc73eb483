import Testing
import Courier

/// The public streaming decoder alone: split invariance, draining, and the fuzzer's findings.
@Suite struct StreamingInflaterTests {
    struct Outcome: Equatable {
        var bytes: [UInt8]
        var failure: DecompressionError.Code?
    }

    /// Decodes `input` in chunks of `chunks` (cycled), at most `window` bytes per call, as the fuzz harness does.
    static func decode(_ input: [UInt8], format: StreamingInflater.Format, chunks: [Int], window: Int) -> Outcome {
        let decoder = StreamingInflater(format: format)
        var output = ByteBuffer(capacity: 0)
        var offset = 0
        var index = 0
        do throws(DecompressionError) {
            while offset < input.count {
                let end = min(input.count, offset + max(1, chunks[index % chunks.count]))
                index += 1
                var chunk = ByteBuffer(bytes: input[offset..<end])
                offset = end
                while chunk.readableBytes > 0 || decoder.hasPendingOutput {
                    let before = output.readableBytes
                    try decoder.inflate(&chunk, into: &output, maximumOutput: window)
                    #expect(output.readableBytes - before <= window)
                }
            }
            try decoder.finish()
        } catch {
            return Outcome(bytes: Array(output.readableBytesView), failure: error.code)
        }
        return Outcome(bytes: Array(output.readableBytesView), failure: nil)
    }

    /// Inputs the fuzzer found (control byte, chunk seed, payload), replayed as the harness does.
    static let fuzzFindings: [[UInt8]] = [
        // Raw deflate whose last decodable bytes sat inside zlib after the input was used up (output window 1).
        [0x01, 0x2d] + Array("RangeRepla".utf8),
    ]

    @Test func fuzzFindingsAreSplitInvariant() {
        for finding in Self.fuzzFindings {
            let control = finding[0], seed = finding[1]
            let payload = Array(finding.dropFirst(2))
            let format: StreamingInflater.Format = control & 1 == 0 ? .gzip : .deflate
            let chunks = [Int(seed % 17) + 1, Int(seed / 17) + 1, 1, 4096]
            let window = [1, 7, 512, 65536][Int(control >> 1) & 3]
            let whole = Self.decode(payload, format: format, chunks: [payload.count], window: 65536)
            let split = Self.decode(payload, format: format, chunks: chunks, window: window)
            #expect(whole == split)
        }
    }

    @Test func outputHeldInsideTheDecoderIsDrainedWithoutMoreInput() throws {
        let text = Array(String(repeating: "abcdefgh", count: 10_000).utf8)
        for format in [TestCompression.Format.gzip, .zlib, .rawDeflate] {
            let compressed = TestCompression.compress(text, format)
            for window in [1, 100, 4096] {
                let outcome = Self.decode(compressed, format: format == .gzip ? .gzip : .deflate,
                                          chunks: [compressed.count], window: window)
                #expect(outcome == Outcome(bytes: text, failure: nil), "\(format) window \(window)")
            }
        }
    }

    @Test func splitInvarianceOnValidAndDamagedStreams() {
        var generator = SystemRandomNumberGenerator()
        let text = Array((0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7 % 91 + 32) })
        for format in [TestCompression.Format.gzip, .zlib, .rawDeflate] {
            var compressed = TestCompression.compress(text, format)
            let decoderFormat: StreamingInflater.Format = format == .gzip ? .gzip : .deflate
            let whole = Self.decode(compressed, format: decoderFormat, chunks: [compressed.count], window: 65536)
            #expect(whole == Outcome(bytes: text, failure: nil))
            for _ in 0..<20 {
                let chunks = (0..<4).map { _ in Int.random(in: 1...300, using: &generator) }
                let window = [1, 7, 512, 65536].randomElement(using: &generator)!
                #expect(Self.decode(compressed, format: decoderFormat, chunks: chunks, window: window) == whole)
            }
            // Flip a byte in the middle: whatever the outcome, chunking must not change it.
            compressed[compressed.count / 2] ^= 0x5A
            let damaged = Self.decode(compressed, format: decoderFormat, chunks: [compressed.count], window: 65536)
            #expect(damaged.failure != nil)
            for _ in 0..<10 {
                let chunks = (0..<4).map { _ in Int.random(in: 1...300, using: &generator) }
                #expect(Self.decode(compressed, format: decoderFormat, chunks: chunks, window: 512) == damaged)
            }
        }
    }
}
