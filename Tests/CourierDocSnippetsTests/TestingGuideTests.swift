import Courier
import CourierTestServer
import Testing

// Docs/testing-with-test-server.md's first snippet, run as written.
@Test func fetchesItems() async throws {
    let server = try await TestServer.start()              // http://127.0.0.1:<free port>
    server.route(.get, "/items/:id") { request in
        .json("{\"id\":\"\(request.parameters["id"]!)\"}")
    }
    let response = try await HTTPClient.shared.get(server.url("/items/7"))
    #expect(try await response.body.string(upTo: 100) == #"{"id":"7"}"#)
    #expect(server.recorder.requestCount(path: "/items/7") == 1)
    await server.shutdown()
}
