import CourierTestServer
import CourierTestSupport

/// Starts a server with `configuration`, runs `body` against it within `limit`, and always shuts it down.
func withServer(
    _ configuration: TestServer.Configuration = TestServer.Configuration(), limit: Duration = .seconds(60),
    fileID: String = #fileID, line: Int = #line,
    _ body: @escaping @Sendable (TestServer) async throws -> Void
) async throws {
    let server = try await withTimeout(.seconds(20)) { try await TestServer.start(configuration) }
    do {
        try await withTimeout(limit, fileID: fileID, line: line) { try await body(server) }
    } catch {
        try await withTimeout(.seconds(20)) { await server.shutdown() }
        throw error
    }
    try await withTimeout(.seconds(20)) { await server.shutdown() }
}

/// A raw client connected to the server (TCP, IPv4 or IPv6, or its Unix socket).
func rawClient(_ server: TestServer) throws -> RawClient {
    switch server.localAddress {
    case .unix(let path): return try RawClient(unixPath: path)
    case .ipv6: return try RawClient(port: server.port, host: "::1")
    case .ipv4: return try RawClient(port: server.port)
    }
}

/// A minimal GET request.
func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)\r\n"
}
