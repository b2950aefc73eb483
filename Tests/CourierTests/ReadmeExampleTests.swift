import Testing
import Courier
import CourierTestServer
import CourierTestSupport

// The README's example, verbatim (Scripts/check-doc-snippets.sh keeps them equal), run against the test server.
struct Item: Codable, Sendable { let id: Int; let name: String }

func tour(_ base: String) async throws {
    let client = HTTPClient()   // one per application: it owns the connection pools

    // A GET; the body streams, and is collected here with a bound.
    let response = try await client.get(base + "/items")
    let items = try await response.body.json([Item].self, upTo: 1 << 20)

    // JSON up, a typed error on failure (connect, TLS, timeouts, protocol, limits, ...).
    do {
        let created = try await client.post(base + "/items", json: Item(id: items.count + 1, name: "new"))
        print(created.status)
    } catch {
        print(error.isTimeout ? "timed out: \(error)" : "failed: \(error)")
    }

    // NDJSON or server-sent events, line by line as they arrive.
    for try await line in try await client.get(base + "/events").body.lines() {
        print(line)
    }
    await client.shutdown()
}

@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() async throws {
        let server = try await TestServer.start()
        server.route(.get, "/items") { _ in .json(#"[{"id":1,"name":"one"}]"#) }
        server.route(.post, "/items") { _ in .json("{}", status: .created) }
        server.route(.get, "/events") { _ in .text("{\"n\":1}\n{\"n\":2}\n") }
        try await withTimeout { try await tour(server.url("")) }
        #expect(server.requests(path: "/items").count == 2)
        #expect(server.requests(path: "/events").count == 1)
        await server.shutdown()
    }
}
