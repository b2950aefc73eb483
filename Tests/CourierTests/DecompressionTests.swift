import CourierCore
import Testing
import Courier
import CourierTestSupport

/// Transparent gzip/deflate decoding through the public client, with a mock transport serving encoded bodies.
@Suite struct DecompressionTests {
    /// A client whose mock answers every request with `body` in `encoding`, cut into chunks of `sizes`.
    static func client(encoding: String?, body: [UInt8], sizes: [Int] = [4096], status: HTTPResponse.Status = .ok,
                       seen seenBox: SeenRequests = SeenRequests(),
                       configure: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configure(&configuration)
        configuration.transport = .mock { request in
            seenBox.requests.withLock { $0.append(request.head) }
            var fields = HTTPFields()
            if let encoding { fields[.contentEncoding] = encoding }
            fields[.contentLength] = "\(body.count)"
            return HTTPClientResponse(head: HTTPResponse(status: status, headerFields: fields),
                                      body: .stream(ChunkedBytes(bytes: body, sizes: sizes)))
        }
        return HTTPClient(configuration: configuration)
    }

    final class SeenRequests: Sendable { let requests = Locked<[HTTPRequest]>([]) }

    static let text = String(repeating: "The quick brown fox jumps over the lazy dog. 0123456789\n", count: 5000)

    @Test(arguments: [TestCompression.Format.gzip, .zlib, .rawDeflate])
    func decodesEachFormatWhateverTheChunking(_ format: TestCompression.Format) async throws {
        let compressed = TestCompression.compress(Self.text, format)
        let encoding = format == .gzip ? "gzip" : "deflate"
        for sizes in [[1], [2, 3], [7, 1, 4096], [compressed.count], [13, 100, 1, 1, 1000]] {
            let client = Self.client(encoding: encoding, body: compressed, sizes: sizes)
            let (head, text, maxChunk) = try await withTimeout {
                let response = try await client.get("http://example.test/text")
                var collected = [UInt8]()
                var maxChunk = 0
                for try await chunk in response.body {
                    maxChunk = max(maxChunk, chunk.readableBytes)
                    collected += chunk.readableBytesView
                }
                return (response.head, String(decoding: collected, as: UTF8.self), maxChunk)
            }
            #expect(text == Self.text, "\(format) \(sizes)")
            #expect(head.headerFields[.contentEncoding] == nil)
            #expect(head.headerFields[.contentLength] == nil)
            #expect(maxChunk <= 64 * 1024)
        }
    }

    @Test func addsAcceptEncodingUnlessTheCallerChoseOne() async throws {
        let seen = SeenRequests()
        let client = Self.client(encoding: nil, body: Array("plain".utf8), seen: seen)
        _ = try await withTimeout { try await client.get("http://example.test/a").body.collect(upTo: 100) }
        let brotli: HTTPFields = [.acceptEncoding: "br"]
        _ = try await withTimeout { try await client.get("http://example.test/b", headerFields: brotli).body.collect(upTo: 100) }
        let range: HTTPFields = [.range: "bytes=0-10"]
        _ = try await withTimeout { try await client.get("http://example.test/c", headerFields: range).body.collect(upTo: 100) }
        let heads = seen.requests.withLock { $0 }
        #expect(heads.map { $0.headerFields[.acceptEncoding] } == ["gzip, deflate", "br", nil])
    }

    @Test func disabledLeavesBodiesAndHeadersAlone() async throws {
        let compressed = TestCompression.compress(Self.text, .gzip)
        let seen = SeenRequests()
        let client = Self.client(encoding: "gzip", body: compressed, seen: seen) { $0.decompression = .disabled }
        let (head, body) = try await withTimeout {
            let response = try await client.get("http://example.test/")
            return (response.head, try await response.body.collect(upTo: 1 << 20))
        }
        #expect(Array(body.readableBytesView) == compressed)
        #expect(head.headerFields[.contentEncoding] == "gzip")
        #expect(seen.requests.withLock { $0[0].headerFields[.acceptEncoding] } == nil)
    }

    @Test func perRequestOptionOverridesTheConfiguration() async throws {
        let compressed = TestCompression.compress(Self.text, .gzip)
        let client = Self.client(encoding: "gzip", body: compressed) { $0.decompression = .disabled }
        var request = HTTPClientRequest(head: try HTTPClient.request(.get, "http://example.test/"))
        request.options.decompressResponse = true
        let decompressing = request
        let text = try await withTimeout { try await client.execute(decompressing).body.string(upTo: 1 << 20) }
        #expect(text == Self.text)
    }

    @Test func concatenatedGzipMembersAreOneBody() async throws {
        let body = TestCompression.compress("first half, ", .gzip) + TestCompression.compress("second half", .gzip)
        for sizes in [[1], [5], [body.count]] {
            let client = Self.client(encoding: "x-gzip", body: body, sizes: sizes)
            let text = try await withTimeout { try await client.get("http://example.test/").body.string(upTo: 1000) }
            #expect(text == "first half, second half")
        }
    }

    @Test func stackedCodingsAreDecodedInReverseOrder() async throws {
        // Applied gzip first, then deflate: "Content-Encoding: gzip, deflate".
        let body = TestCompression.compress(TestCompression.compress(Self.text, .gzip), .zlib)
        let client = Self.client(encoding: "gzip, deflate", body: body, sizes: [3, 1000])
        let text = try await withTimeout { try await client.get("http://example.test/").body.string(upTo: 1 << 20) }
        #expect(text == Self.text)
    }

    @Test func unknownCodingsAndBodilessResponsesAreLeftAlone() async throws {
        let raw = Array("not really brotli".utf8)
        let client = Self.client(encoding: "gzip, br", body: raw)
        let response = try await withTimeout { try await client.get("http://example.test/") }
        #expect(response.headerFields[.contentEncoding] == "gzip, br")
        #expect(Array(try await withTimeout { try await response.body.collect(upTo: 100) }.readableBytesView) == raw)

        let partial = Self.client(encoding: "gzip", body: raw, status: .partialContent)
        let partialBody = try await withTimeout { try await partial.get("http://example.test/").body.collect(upTo: 100) }
        #expect(Array(partialBody.readableBytesView) == raw)

        let head = Self.client(encoding: "gzip", body: [])
        let headResponse = try await withTimeout { try await head.head("http://example.test/") }
        #expect(headResponse.headerFields[.contentEncoding] == "gzip")
    }

    @Test func emptyEncodedBodyIsEmpty() async throws {
        let client = Self.client(encoding: "gzip", body: [])
        let body = try await withTimeout { try await client.get("http://example.test/").body.collect(upTo: 100) }
        #expect(body.readableBytes == 0)
    }

    @Test func truncatedCorruptAndTrailingDataAreTypedErrors() async throws {
        let compressed = TestCompression.compress(Self.text, .gzip)
        let cases: [(String, [UInt8], DecompressionError.Code)] = [
            ("gzip", Array(compressed.dropLast(9)), .truncated),
            ("gzip", Array(compressed.prefix(1)), .truncated),
            ("gzip", Array("this is not gzip at all".utf8), .corruptData),
            ("gzip", compressed + Array("garbage".utf8), .corruptData),
            ("deflate", TestCompression.compress("short", .zlib) + [0], .trailingData),
            ("deflate", [0x78], .truncated),
        ]
        for (encoding, body, expected) in cases {
            let client = Self.client(encoding: encoding, body: body, sizes: [5])
            let error = await #expect(throws: HTTPClientError.self) {
                try await withTimeout { _ = try await client.get("http://example.test/").body.collect(upTo: 1 << 20) }
            }
            #expect(error?.code == .decompressionFailed, "\(expected)")
            #expect((error?.underlying as? DecompressionError)?.code == expected, "\(String(describing: error))")
        }
    }

    @Test func bombsStopAtTheRatioLimitWithoutDecodingEverything() async throws {
        // 256 MiB of zeros compress to about 256 KiB; the ratio limit (200) stops it after a few MiB.
        let zeros = [UInt8](repeating: 0, count: 256 << 20)
        let bomb = TestCompression.compress(zeros, .gzip, level: 9)
        let client = Self.client(encoding: "gzip", body: bomb, sizes: [16 * 1024])
        let decoded = Locked(0)
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout(.seconds(60)) {
                for try await chunk in try await client.get("http://example.test/bomb").body {
                    decoded.withLock { $0 += chunk.readableBytes }
                }
            }
        }
        #expect(error?.code == .limitExceeded)
        #expect((error?.underlying as? DecompressionError)?.code == .ratioLimitExceeded)
        #expect(decoded.withLock { $0 } < 16 << 20)
    }

    @Test func sizeLimitIsEnforced() async throws {
        let compressed = TestCompression.compress(Self.text, .gzip)
        let client = Self.client(encoding: "gzip", body: compressed) {
            $0.decompression.maximumSize = 100_000
            $0.decompression.maximumRatio = nil
        }
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://example.test/").body.collect(upTo: 1 << 20) }
        }
        #expect(error?.code == .limitExceeded)
        #expect((error?.underlying as? DecompressionError)?.code == .sizeLimitExceeded)
    }

    @Test func tooManyStackedCodingsAreRefused() async throws {
        let client = Self.client(encoding: "gzip, gzip, gzip, gzip", body: [1, 2, 3])
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get("http://example.test/") }
        }
        #expect(error?.code == .decompressionFailed)
    }
}
