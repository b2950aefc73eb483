import CourierCore
import Testing
import Courier
import CourierTestSupport

@Suite struct MiddlewareTests {
    struct Tag: HTTPClientMiddleware {
        let name: String
        let log: Log
        func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
            log.entries.withLock { $0.append("> \(name)") }
            var request = request
            request.head.headerFields.append(HTTPField(name: HTTPField.Name("x-\(name)")!, value: "1"))
            let response = try await next(request)
            log.entries.withLock { $0.append("< \(name) \(response.status.code)") }
            return response
        }
    }

    final class Log: Sendable { let entries = Locked<[String]>([]) }

    @Test func aResponsesStatusFollowsItsHeadWhenMiddlewareChangesIt() {
        var response = HTTPClientResponse(head: HTTPResponse(status: .ok))
        #expect(response.status == .ok)
        response.head.status = .notFound
        #expect(response.status == .notFound)
        response.head = HTTPResponse(status: HTTPResponse.Status(code: 599, reasonPhrase: "Odd"))
        #expect(response.status.code == 599)
        #expect(response.status.reasonPhrase == "Odd")
    }

    @Test func middlewareRunsOutermostFirstAroundTheMockTransport() async throws {
        let log = Log()
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [Tag(name: "outer", log: log), Tag(name: "inner", log: log)]
        configuration.transport = .mock { request in
            log.entries.withLock { $0.append("transport \(request.head.headerFields[HTTPField.Name("x-outer")!] ?? "-")\(request.head.headerFields[HTTPField.Name("x-inner")!] ?? "-")") }
            return HTTPClientResponse(head: HTTPResponse(status: .created), body: .bytes(ByteBuffer(string: "made")))
        }
        let client = HTTPClient(configuration: configuration)
        let response = try await withTimeout { try await client.get("https://api.example/items") }
        #expect(response.status == .created)
        #expect(try await response.body.string(upTo: 100) == "made")
        #expect(log.entries.withLock { $0 } == ["> outer", "> inner", "transport 11", "< inner 201", "< outer 201"])
    }

    @Test func middlewareSeesErrorsAndMayReplayReplayableRequests() async throws {
        let attempts = Locked(0)
        struct RetryOnce: HTTPClientMiddleware {
            func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
                do {
                    return try await next(request)
                } catch where error.code == .connectionClosed && (request.body?.isReplayable ?? true) {
                    return try await next(request)
                }
            }
        }
        final class Counter: Sendable { let value = Locked(0) }
        let counter = Counter()
        var configuration = HTTPClient.Configuration()
        configuration.middleware = [RetryOnce()]
        configuration.transport = .mock { _ in
            let attempt = counter.value.withLock { value -> Int in value += 1; return value }
            if attempt == 1 { throw HTTPClientError(.connectionClosed, "dropped") }
            return HTTPClientResponse(head: HTTPResponse(status: .ok))
        }
        let client = HTTPClient(configuration: configuration)
        let response = try await withTimeout { try await client.post("http://x/y", body: .string("again")) }
        #expect(response.status == .ok)
        #expect(counter.value.withLock { $0 } == 2)
        _ = attempts
    }
}
