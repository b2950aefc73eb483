import Courier

/// The snippets of Docs/migrating.md, compiled (never run: they reach example hosts).
enum MigratingSnippets {
    /// migrating.md, block 1.
    static func block1(client: HTTPClient) async throws {
        let client = HTTPClient()
        var fields = HTTPFields()
        fields[.accept] = "application/json"
        let request = try HTTPClient.request(.get, "https://api.example.com/items?limit=10", headerFields: fields)
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .ok else { throw Failure(status: response.status) }
        let body = try await response.body.collect(upTo: 1 << 20)
        await client.shutdown()
        _ = body
    }

    /// migrating.md, block 2.
    static func block2(client: HTTPClient) async throws {
        let chunks = AsyncStream<ByteBuffer> { $0.finish() }
        let uploaded = try await client.put("https://uploads.example.com/data", body: .stream(chunks), timeout: .seconds(300))
        _ = uploaded
    }

    /// migrating.md, block 3.
    static func block3(client: HTTPClient) async throws {
        let newItem = Item(id: 7, name: "new")
        let response = try await HTTPClient.shared.post("https://api.example.com/items", json: newItem)
        guard response.status == .created else { throw Failure(status: response.status) }
        let created = try await response.body.json(Item.self)
        _ = created
    }

    /// migrating.md, block 4.
    static func block4(client: HTTPClient) async throws {
        let events = try await HTTPClient.shared.get("https://api.example.com/events")
        for try await line in events.body.lines() { print(line) }
    }
}
