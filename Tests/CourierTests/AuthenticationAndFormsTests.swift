import CourierCore
import Testing
@testable import Courier
import CourierTestSupport
import Foundation

/// Basic and Bearer helpers, form and multipart bodies.
@Suite struct AuthenticationAndFormsTests {
    static func client(_ mock: MockTransport, middleware: [any HTTPClientMiddleware] = []) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.transport = .mock(mock)
        configuration.middleware = middleware
        return HTTPClient(configuration: configuration)
    }

    @Test func headerHelpers() {
        var fields = HTTPFields()
        fields.setBasicAuthorization(username: "Aladdin", password: "open sesame")
        #expect(fields[.authorization] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        fields.setBasicAuthorization(username: "test", password: "123£")  // RFC 7617 §2.1 (UTF-8)
        #expect(fields[.authorization] == "Basic dGVzdDoxMjPCow==")
        fields.setBearerToken("abc.def")
        #expect(fields[.authorization] == "Bearer abc.def")
    }

    @Test func credentialsGoOnlyToTheirHostsOverHTTPS() async throws {
        let mock = MockTransport { .text($0.headerFields[.authorization] ?? "none") }
        let client = Self.client(mock, middleware: [
            Authentication.basic(username: "u", password: "p", for: ["api.test", "*.corp.test"]),
        ])
        let answers = try await withTimeout {
            var answers: [String] = []
            for url in ["https://api.test/", "https://API.test:8443/x", "https://a.b.corp.test/", "https://corp.test/",
                        "https://other.test/", "http://api.test/", "http://127.0.0.1/"] {
                answers.append(try await client.get(url).body.string(upTo: 100))
            }
            answers.append(try await client.get("https://api.test/", headerFields: [.authorization: "Mine"]).body.string(upTo: 100))
            return answers
        }
        let basic = "Basic dTpw"
        #expect(answers == [basic, basic, basic, "none", "none", "none", "none", "Mine"])
        // A redirect to another site does not carry the middleware's credentials either.
        mock.route(.get, "/away") { _ in .redirect(to: "https://elsewhere.test/") }
        let away = try await withTimeout { try await client.get("https://api.test/away").body.string(upTo: 100) }
        #expect(away == "none")
    }

    @Test func bearerTokensRefreshOnceOn401() async throws {
        let issued = Locked(0)
        let mock = MockTransport { request in
            request.headerFields[.authorization] == "Bearer token-2" ? .text("welcome") : .status(.unauthorized)
        }
        let client = Self.client(mock, middleware: [
            Authentication.bearer(for: ["api.test"]) { refresh in
                issued.withLock { count in
                    if refresh || count == 0 { count += 1 }
                    return "token-\(count)"
                }
            },
        ])
        let first = try await withTimeout { try await client.post("https://api.test/x", body: .string("again")) }
        #expect(first.status == .ok)
        #expect(mock.requests.map { $0.headerFields[.authorization] } == ["Bearer token-1", "Bearer token-2"])
        #expect(mock.requests.map(\.bodyString) == ["again", "again"])
        // The next request uses the refreshed token directly.
        _ = try await withTimeout { try await client.get("https://api.test/y") }
        #expect(mock.requests.last?.headerFields[.authorization] == "Bearer token-2")
        #expect(mock.requestCount == 3)
        // Still refused after refreshing: the 401 is the answer (no loop).
        let stubborn = Self.client(MockTransport { _ in .status(.unauthorized) },
                                   middleware: [Authentication.bearer("fixed", for: ["api.test"])])
        #expect(try await withTimeout { try await stubborn.get("https://api.test/") }.status == .unauthorized)
    }

    @Test func formEncodingFollowsTheURLStandard() {
        #expect(QueryString.encode([("a b", "c&d=e"), ("é", "*-._~!"), ("empty", "")])
                == "a+b=c%26d%3De&%C3%A9=*-._%7E%21&empty=")
        let decoded = QueryString.decode("a+b=c%26d%3De&%C3%A9=x&flag&bad=%zz")
        #expect(decoded.map { "\($0.0)=\($0.1)" } == ["a b=c&d=e", "é=x", "flag=", "bad=%zz"])
    }

    @Test func formBodiesSetTheirContentType() async throws {
        let mock = MockTransport { .text("\($0.headerFields[.contentType] ?? "")|\($0.bodyString)") }
        let client = Self.client(mock)
        let (posted, kept) = try await withTimeout {
            (try await client.post("http://api.test/f", form: [("q", "swift http"), ("page", "2")]).body.string(upTo: 100),
             try await client.post("http://api.test/f", body: .form(["x": "1"]),
                                   headerFields: [.contentType: "application/x-www-form-urlencoded; charset=utf-8"])
                .body.string(upTo: 100))
        }
        #expect(posted == "application/x-www-form-urlencoded|q=swift+http&page=2")
        #expect(kept == "application/x-www-form-urlencoded; charset=utf-8|x=1")
    }

    @Test func multipartFormsWithStreamedFiles() async throws {
        let directory = NSTemporaryDirectory() + "courier-multipart-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let filePath = directory + "/report.bin"
        let fileBytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(fileBytes).write(to: URL(fileURLWithPath: filePath))

        var form = MultipartForm(boundary: "BOUNDARY-123")
        form.append(name: "ti\"tle", value: "Quarterly \"numbers\"")
        form.append(name: "notes", filename: "notes.txt", contentType: "text/plain", data: ByteBuffer(string: "line1\r\nline2"))
        try form.appendFile(name: "upload", path: filePath, contentType: "application/octet-stream")
        let finished = form
        let mock = MockTransport { _ in .status(.noContent) }
        let client = Self.client(mock)
        _ = try await withTimeout { try await client.post("http://api.test/upload", multipart: finished) }
        let request = try #require(mock.requests.first)
        #expect(request.headerFields[.contentType] == "multipart/form-data; boundary=BOUNDARY-123")
        #expect(request.body.readableBytes == finished.length)
        let body = Array(request.body.readableBytesView)
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        #expect(text.hasPrefix("--BOUNDARY-123\r\nContent-Disposition: form-data; name=\"ti%22tle\"\r\n\r\nQuarterly \"numbers\"\r\n--BOUNDARY-123\r\n"))
        #expect(Array(body.suffix(18)) == Array("--BOUNDARY-123--\r\n".utf8))

        // Python's email parser reads the same three parts.
        let bodyPath = directory + "/body.bin"
        try Data(body).write(to: URL(fileURLWithPath: bodyPath))
        let script = """
            import email, sys, hashlib
            raw = open(sys.argv[1], 'rb').read()
            message = email.message_from_bytes(b'Content-Type: multipart/form-data; boundary=BOUNDARY-123\\r\\n\\r\\n' + raw)
            for part in message.get_payload():
                payload = part.get_payload(decode=True)
                print(part.get_param('name', header='content-disposition'), part.get_filename(), len(payload), hashlib.sha256(payload).hexdigest()[:12])
            """
        try script.write(toFile: directory + "/parse.py", atomically: true, encoding: .utf8)
        let outputPath = directory + "/out.txt"
        let python = try ChildProcess(["/usr/bin/env", "python3", directory + "/parse.py", bodyPath], outputPath: outputPath)
        #expect(await python.exitCode() == 0)
        let lines = try String(contentsOfFile: outputPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("ti%22tle None 19 ") == true, "\(lines)")
        #expect(lines.dropFirst().first?.hasPrefix("notes notes.txt 12 ") == true)
        #expect(lines.last?.hasPrefix("upload report.bin 300000 ") == true)
    }

    @Test func filePartsAreReadInChunksAndClosedWhenAbandoned() async throws {
        let path = NSTemporaryDirectory() + "courier-big-\(UInt32.random(in: 0...UInt32.max)).bin"
        try Data(count: 5 << 20).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var building = MultipartForm()
        try building.appendFile(name: "f", path: path)
        let form = building
        let (largest, total) = try await withTimeout {
            var largest = 0, total = 0
            for try await chunk in MultipartStream(form: form) {
                largest = max(largest, chunk.readableBytes)
                total += chunk.readableBytes
            }
            return (largest, total)
        }
        #expect(largest <= 64 * 1024)
        #expect(total == form.length)
        // Descriptors open on this file (not the process's count: other tests run in parallel).
        @Sendable func descriptorsOnFile() -> Int { openFileDescriptors().filter { $0.1 == path }.count }
        try await withTimeout {
            var iterator = MultipartStream(form: form).makeAsyncIterator()
            for _ in 0..<5 { _ = try await iterator.next() }
            #expect(descriptorsOnFile() == 1)
        }
        #expect(descriptorsOnFile() == 0)
        // A file that shrank after being added fails the request instead of sending a short body.
        try Data(count: 10).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: HTTPClientError.self) {
            try await withTimeout { for try await _ in MultipartStream(form: form) {} }
        }
        #expect(error?.code == .invalidRequest)
    }

    @Test(.enabled(if: NginxServer.isAvailable)) func largeMultipartUploadToNginx() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let path = NSTemporaryDirectory() + "courier-upload-\(UInt32.random(in: 0...UInt32.max)).bin"
        try Data(count: 20 << 20).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var form = MultipartForm()
        form.append(name: "kind", value: "zeros")
        try form.appendFile(name: "file", path: path)
        let upload = form
        let client = HTTPClient()
        let answer = try await withTimeout(.seconds(60)) {
            try await client.post("http://127.0.0.1:\(nginx.httpPort)/echo-headers", multipart: upload).body.string(upTo: 1000)
        }
        #expect(answer.hasSuffix("|\(upload.length)|POST"), "\(answer)")
        await client.shutdown()
    }
}
