import CourierCore
import HTTPTypes

/// The routes every test server has unless `builtinRoutes` is off. Each also takes faults from its query
/// (see `QueryFaults`), so command-line peers such as curl can exercise them:
///
/// | route | answer |
/// |---|---|
/// | `ANY /echo` | the request body, with each request field `name` returned as `x-echo-name` (plus `x-echo-method`, `x-echo-target`, `x-echo-version`) |
/// | `ANY /echo/stream` | the request body streamed back as it arrives (chunked) |
/// | `ANY /upload` | reads the body, answers `{"bytes":N}` |
/// | `GET /headers` | the request fields as `name: value` lines |
/// | `GET /bytes/:count` | `count` bytes of `TestPattern`; `?chunk=N` piece size, `?chunked=1` no Content-Length |
/// | `ANY /status/:code` | that status; `?retry-after=S`, `?location=URL` |
/// | `ANY /delay/:ms` | 200 after `ms` milliseconds |
/// | `GET /ndjson/:count` | `count` lines `{"index":i}`, `?interval=ms` between them |
/// | `GET /sse/:count` | `count` server-sent events, `?interval=ms` between them |
/// | `ANY /redirect/:count` | 302 to `/redirect/count-1`, then 200 at 0; `?status=` another 3xx |
/// | `ANY /redirect-to?url=U` | 302 (or `?status=`) to `U` |
/// | `ANY /connection-info` | `connection=ID request=N version=V` of the connection that carried it |
enum BuiltinRoutes {
    static var all: [TestRouter.Route] {
        [
            route(nil, "/echo", echo),
            route(nil, "/echo/stream", echoStream),
            route(nil, "/upload", upload),
            route(.get, "/headers", headers),
            route(.get, "/bytes/:count", bytes),
            route(nil, "/status/:code", status),
            route(nil, "/delay/:ms", delay),
            route(.get, "/ndjson/:count", ndjson),
            route(.get, "/sse/:count", serverSentEvents),
            route(nil, "/redirect/:count", redirect),
            route(nil, "/redirect-to", redirectTo),
            route(nil, "/connection-info", connectionInfo),
        ]
    }

    private static func route(_ method: HTTPRequest.Method?, _ pattern: String, _ handler: @escaping TestHandler) -> TestRouter.Route {
        TestRouter.Route(method: method, pattern: RoutePattern(pattern), faults: []) { request in
            let faults: [TestFault]
            do {
                faults = try QueryFaults.parse(request)
            } catch {
                return .text("\(error)\n", status: .badRequest)
            }
            var response = try await handler(request)
            response.faults += faults
            return response
        }
    }

    /// A bad parameter in a built-in route's path or query.
    struct BadParameter: Error, CustomStringConvertible {
        let description: String
    }

    static func integer(_ text: String?, _ name: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw BadParameter(description: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    private static func badRequest(_ error: any Error) -> TestResponse {
        .text("\(error)\n", status: .badRequest)
    }

    // MARK: - Handlers

    private static func echo(_ request: TestRequest) async throws -> TestResponse {
        let body = try await request.body.collect(upTo: 64 << 20)
        var fields = HTTPFields()
        fields[HTTPField.Name("x-echo-method")!] = request.method.rawValue
        fields[HTTPField.Name("x-echo-target")!] = request.target
        fields[HTTPField.Name("x-echo-version")!] = request.httpVersion
        for field in request.headerFields {
            guard let name = HTTPField.Name("x-echo-" + field.name.canonicalName) else { continue }
            fields.append(HTTPField(name: name, value: field.value))
        }
        fields[.contentType] = request.headerFields[.contentType] ?? "application/octet-stream"
        return TestResponse(headerFields: fields, body: .bytes(body))
    }

    private static func echoStream(_ request: TestRequest) async throws -> TestResponse {
        // Read the first chunk before answering, so a client waiting for 100 Continue sends its body.
        var iterator = request.body.makeAsyncIterator()
        let first = try await iterator.next()
        let body = request.body
        let fields: HTTPFields = [.contentType: request.headerFields[.contentType] ?? "application/octet-stream"]
        return TestResponse(headerFields: fields, body: .generate(length: nil) { writer in
            guard let first else { return }
            try await writer.write(first)
            for try await chunk in body { try await writer.write(chunk) }
        })
    }

    private static func upload(_ request: TestRequest) async throws -> TestResponse {
        let count = try await request.body.drain()
        return .json("{\"bytes\":\(count)}")
    }

    private static func headers(_ request: TestRequest) async throws -> TestResponse {
        .text(request.headerFields.map { "\($0.name.rawName): \($0.value)\n" }.joined())
    }

    private static func bytes(_ request: TestRequest) async throws -> TestResponse {
        do {
            let count = try integer(request.parameters["count"], "count")!
            let chunk = try integer(request.queryValue("chunk"), "chunk", in: 1...(16 << 20)) ?? 64 * 1024
            let chunked = request.queryValue("chunked") == "1"
            return TestResponse(headerFields: [.contentType: "application/octet-stream"],
                                body: .pattern(count: count, chunkSize: chunk, declaresLength: !chunked))
        } catch {
            return badRequest(error)
        }
    }

    private static func status(_ request: TestRequest) async throws -> TestResponse {
        do {
            let code = try integer(request.parameters["code"], "status", in: 200...999)!
            var response = TestResponse(status: HTTPResponse.Status(code: code))
            if let seconds = try integer(request.queryValue("retry-after"), "retry-after") {
                response.headerFields[.retryAfter] = String(seconds)
            }
            if let location = request.queryValue("location") { response.headerFields[.location] = location }
            if code != 204 && code != 304 { response.body = .string("\(code)\n") }
            return response
        } catch {
            return badRequest(error)
        }
    }

    private static func delay(_ request: TestRequest) async throws -> TestResponse {
        do {
            let milliseconds = try integer(request.parameters["ms"], "ms", in: 0...3_600_000)!
            try await Task.sleep(for: .milliseconds(milliseconds))
            return .text("delayed \(milliseconds) ms\n")
        } catch let error as BadParameter {
            return badRequest(error)
        }
    }

    private static func lines(_ request: TestRequest, contentType: String,
                              _ line: @escaping @Sendable (Int) -> String) throws -> TestResponse {
        let count = try integer(request.parameters["count"], "count")!
        let interval = try integer(request.queryValue("interval"), "interval", in: 0...3_600_000) ?? 0
        return TestResponse(headerFields: [.contentType: contentType], body: .generate { writer in
            for index in 0..<count {
                if index > 0 && interval > 0 { try await Task.sleep(for: .milliseconds(interval)) }
                try await writer.write(line(index))
            }
        })
    }

    private static func ndjson(_ request: TestRequest) async throws -> TestResponse {
        do {
            return try lines(request, contentType: "application/x-ndjson") { "{\"index\":\($0)}\n" }
        } catch {
            return badRequest(error)
        }
    }

    private static func serverSentEvents(_ request: TestRequest) async throws -> TestResponse {
        do {
            var response = try lines(request, contentType: "text/event-stream") {
                "id: \($0)\nevent: message\ndata: {\"index\":\($0)}\n\n"
            }
            response.headerFields[.cacheControl] = "no-cache"
            return response
        } catch {
            return badRequest(error)
        }
    }

    private static func redirectStatus(_ request: TestRequest) throws -> HTTPResponse.Status {
        let code = try integer(request.queryValue("status"), "status", in: 300...399) ?? 302
        return HTTPResponse.Status(code: code)
    }

    private static func redirect(_ request: TestRequest) async throws -> TestResponse {
        do {
            let count = try integer(request.parameters["count"], "count")!
            guard count > 0 else { return .text("redirects done\n") }
            let query = request.query.map { "?" + $0 } ?? ""
            return .redirect(to: "/redirect/\(count - 1)\(query)", status: try redirectStatus(request))
        } catch {
            return badRequest(error)
        }
    }

    private static func redirectTo(_ request: TestRequest) async throws -> TestResponse {
        do {
            guard let url = request.queryValue("url") else { throw BadParameter(description: "url is required") }
            return .redirect(to: url, status: try redirectStatus(request))
        } catch {
            return badRequest(error)
        }
    }

    private static func connectionInfo(_ request: TestRequest) async throws -> TestResponse {
        .text("connection=\(request.connectionID) request=\(request.requestNumberOnConnection) version=\(request.httpVersion)\n")
    }
}
