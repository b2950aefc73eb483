import Testing
import Courier
import CourierTestSupport

/// Redirects and gzip against nginx on loopback.
@Suite(.enabled(if: NginxServer.isAvailable)) struct FeaturesNginxTests {
    static let redirectLocations = """
        location = /r1 { return 302 /small; }
        location = /r2 { return 301 /r1; }
        location = /r3 { return 302 http://$host:$server_port/r2; }
        location = /relative { absolute_redirect off; return 302 /small; }
        location = /see-other { return 303 /echo-headers; }
        location = /temporary { return 307 /echo-headers; }
        location = /permanent { return 308 /echo-headers; }
        location = /loop-a { return 302 /loop-b; }
        location = /loop-b { return 302 /loop-a; }
        location = /to-https { return 302 https://localhost:1/never; }
        """

    @Test func followsAChainOfRedirects() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.redirectLocations)
        defer { nginx.stop() }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        for path in ["/r1", "/r3", "/relative"] {
            let (status, body, redirects) = try await withTimeout {
                let response = try await client.get(base + path)
                return (response.status, try await response.body.string(upTo: 1 << 20), response.redirects)
            }
            #expect(status == .ok, "\(path)")
            #expect(body == NginxServer.smallBody, "\(path)")
            #expect(redirects.last?.to == base + "/small", "\(path)")
        }
        let chain = try await withTimeout { try await client.get(base + "/r3").redirects.map(\.status.code) }
        #expect(chain == [302, 301, 302])
        await client.shutdown()
    }

    @Test func methodRulesAgainstARealServer() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.redirectLocations)
        defer { nginx.stop() }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        let fields: HTTPFields = [HTTPField.Name("X-Courier")!: "yes", .userAgent: "courier-test"]
        // echo-headers answers "user-agent|x-courier|content-length|method".
        let seeOther = try await withTimeout {
            try await client.post(base + "/see-other", body: .string("hello"), headerFields: fields).body.string(upTo: 1000)
        }
        #expect(seeOther == "courier-test|yes||GET")
        for path in ["/temporary", "/permanent"] {
            let kept = try await withTimeout {
                try await client.post(base + path, body: .string("hello"), headerFields: fields).body.string(upTo: 1000)
            }
            #expect(kept == "courier-test|yes|5|POST", "\(path)")
        }
        await client.shutdown()
    }

    @Test func loopsLimitsAndDowngradesFailWithTypedErrors() async throws {
        let nginx = try NginxServer.start(extraServerConfig: Self.redirectLocations)
        defer { nginx.stop() }
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        let client = HTTPClient()
        let loop = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await client.get(base + "/loop-a") }
        }
        #expect(loop?.code == .redirectLoop)
        var configuration = HTTPClient.Configuration()
        configuration.redirects.maximumRedirects = 2
        let limited = HTTPClient(configuration: configuration)
        let tooMany = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { _ = try await limited.get(base + "/r3") }
        }
        #expect(tooMany?.code == .tooManyRedirects)
        await client.shutdown()
        await limited.shutdown()
    }

    @Test func gzipFromNginxIsDecodedAndCanBeTurnedOff() async throws {
        let nginx = try NginxServer.start(files: ["big.txt": 3 << 20])
        defer { nginx.stop() }
        let base = "http://127.0.0.1:\(nginx.httpPort)"
        let client = HTTPClient()
        let (head, body) = try await withTimeout {
            let response = try await client.get(base + "/small")
            return (response.head, try await response.body.string(upTo: 1 << 20))
        }
        #expect(body == NginxServer.smallBody)
        #expect(head.headerFields[.contentEncoding] == nil)

        // The same request without decoding shows nginx really compressed it.
        var raw = HTTPClientRequest(head: try HTTPClient.request(.get, base + "/small"))
        raw.options.decompressResponse = false
        raw.head.headerFields[.acceptEncoding] = "gzip"
        let rawRequest = raw
        let rawResponse = try await withTimeout { try await client.execute(rawRequest) }
        #expect(rawResponse.headerFields[.contentEncoding] == "gzip")
        let compressed = try await withTimeout { try await rawResponse.body.collect(upTo: 1 << 20) }
        #expect(compressed.getBytes(at: compressed.readerIndex, length: 2) == [0x1F, 0x8B])

        var rawBig = rawRequest
        rawBig.head.path = "/big.txt"
        let bigRequest = rawBig
        let bigEncoding = try await withTimeout {
            let response = try await client.execute(bigRequest)
            response.body.cancel()
            return response.headerFields[.contentEncoding]
        }
        #expect(bigEncoding == "gzip")

        // A large body streams through the decoder in bounded chunks and matches the file byte for byte.
        let (mismatch, total, encoded) = try await withTimeout(.seconds(60)) {
            let response = try await client.get(base + "/big.txt")
            var offset = 0
            var mismatch: Int?
            for try await chunk in response.body {
                for byte in chunk.readableBytesView {
                    if mismatch == nil && byte != NginxServer.patternByte(at: offset) { mismatch = offset }
                    offset += 1
                }
            }
            return (mismatch, offset, response.headerFields[.contentEncoding])
        }
        #expect(mismatch == nil)
        #expect(total == 3 << 20)
        #expect(encoded == nil)
        await client.shutdown()
    }
}
