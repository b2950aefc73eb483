import Courier
import CourierOpenAPITransport

/// The snippets of Docs/getting-started.md, compiled (never run: they reach example hosts).
enum GettingStartedSnippets {
    /// getting-started.md, block 1.
    static func block1(client: HTTPClient) async throws {

        let client = HTTPClient()
        let response = try await client.get("https://example.com/")
        print(response.status, response.version)
        let page = try await response.body.string(upTo: 1 << 20)
        print(page.count)
        await client.shutdown()
    }

    /// getting-started.md, block 2.
    static func block2(client: HTTPClient) async throws {
        struct Item: Codable, Sendable {
            var id: Int
            var name: String
        }

        let created = try await client.post("https://api.example.com/items", json: Item(id: 1, name: "widget"))
        print(created.status)
        _ = try await created.body.collect(upTo: 1 << 16)

        let items = try await client.get("https://api.example.com/items").body.json([Item].self)
        print(items.count)
    }

    /// getting-started.md, block 3.
    static func block3(client: HTTPClient) async throws {
        let token = "example-token"
        var fields = HTTPFields()
        fields[.accept] = "application/json"
        fields[.authorization] = "Bearer \(token)"
        let request = try HTTPClient.request(.patch, "https://api.example.com/items/1", headerFields: fields)
        let answer = try await client.execute(request, body: .string(#"{"name":"renamed"}"#), timeout: .seconds(10))
        print(answer.status)
    }

    /// getting-started.md, block 4.
    static func block4(client: HTTPClient) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeouts.connect = .seconds(5)
        configuration.timeouts.read = .seconds(30)
        configuration.timeouts.total = .seconds(60)
        configuration.pool.maximumConnectionsPerHost = 16
        configuration.redirects = .follow(maximum: 5)
        configuration.httpVersion = .automatic
        let configured = HTTPClient(configuration: configuration)
        _ = configured
    }

    /// getting-started.md, block 5.
    static func block5(client: HTTPClient) async throws {
        do {
            let response = try await client.get("https://api.example.com/health", timeout: .seconds(2))
            if response.status.kind != .successful {
                print("unhealthy: \(response.status)")
            }
            _ = try await response.body.collect(upTo: 4096)
        } catch {
            if error.isTimeout {
                print("timed out: \(error.message)")
            } else if error.isConnectError {
                print("unreachable: \(error.message)")
            } else {
                print("failed: \(error.code): \(error.message)")
            }
        }
    }

    /// getting-started.md, block 6.
    static func block6(client: HTTPClient) async throws {
        struct UserAgent: HTTPClientMiddleware {
            let value: String

            func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
                var request = request
                request.head.headerFields[.userAgent] = value
                return try await next(request)
            }
        }

        var withAgent = HTTPClient.Configuration()
        withAgent.middleware = [UserAgent(value: "inventory-sync/2.1")]
    }

    /// getting-started.md, block 7.
    static func block7(client: HTTPClient) async throws {

        let transport = CourierClientTransport(client: client, configuration: .init(timeout: .seconds(30)))
        // let api = Client(serverURL: try Servers.Server1.url(), transport: transport)   // generated `Client`
        _ = transport
    }
}
