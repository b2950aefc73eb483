import CourierCore
import CourierTestServer
import CourierTestSupport
import HTTPTypes
import Testing

@Suite("HTTP/1.1 serving")
struct HTTP1ServingTests {
    @Test("a route answers, the request is recorded")
    func routeAnswers() async throws {
        try await withServer { server in
            server.route(.get, "/hello/:name") { request in
                .text("hello \(request.parameters["name"] ?? "?") via \(request.httpVersion)")
            }
            let client = try rawClient(server)
            try await client.send(get("/hello/world?x=1"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyString == "hello world via HTTP/1.1")
            #expect(response.header("content-length") == "24")
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded.first?.target == "/hello/world?x=1")
            #expect(recorded.first?.path == "/hello/world")
            #expect(recorded.first?.responseStatus == 200)
            #expect(recorded.first?.headerFields[HTTPField.Name("host")!] == "localhost")
        }
    }
}
