import Courier
import CourierTestServer
import CourierTestSupport
import CourierTLS
import Testing

/// The guides' snippets that run against the in-process server, run as written (the text between the markers
/// is what `Scripts/check-doc-snippets.sh` finds in Docs/).
@Suite struct GuideSnippetTests {
    @Test func testServerWithTLS() async throws {
        // testing-with-test-server.md: TLS
        let server = try await TestServer.start(.tls())           // https://localhost:<port>
        let roots = server.trustRoots!                             // TLSTrustRoots with the generated CA
        let pem = server.caCertificatePEM!                         // e.g. for curl --cacert
        // end
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = roots
        let client = HTTPClient(configuration: configuration)
        let status = try await withTimeout { try await client.get(server.url("/status/204")).status }
        #expect(status == .noContent)
        #expect(pem.contains("BEGIN CERTIFICATE"))
        await client.shutdown()
        await server.shutdown()
    }

    @Test func testServerRoutes() async throws {
        let server = try await TestServer.start()
        // testing-with-test-server.md: routes and handlers
        server.route(.post, "/upload") { request in               // TestHandler: (TestRequest) async throws -> TestResponse
            let body = try await request.body.collect(upTo: 1 << 20)
            return .text("got \(body.readableBytes) bytes", status: .created)
        }
        server.route("/files/*") { request in .text(request.parameters["*"]!) }   // any method, wildcard
        server.setFallback { request in .text("no route for \(request.path)") }   // instead of 404
        // end
        let client = HTTPClient()
        let answers = try await withTimeout {
            [try await client.post(server.url("/upload"), body: .string("12345")).body.string(upTo: 100),
             try await client.delete(server.url("/files/a/b.txt")).body.string(upTo: 100),
             try await client.get(server.url("/nowhere")).body.string(upTo: 100)]
        }
        #expect(answers == ["got 5 bytes", "a/b.txt", "no route for /nowhere"])
        await client.shutdown()
        await server.shutdown()
    }

    @Test func retriesAfterServiceUnavailable() async throws {
        let server = try await TestServer.start()
        server.route(.get, "/inventory/:sku") { request in
            .json(#"{"sku":"\#(request.parameters["sku"]!)","count":3}"#)
        }
        server.injectResponse(.serviceUnavailable(retryAfter: .seconds(0)), count: 1, path: "/inventory/A-1")

        let client = HTTPClient()
        let inventory = InventoryClient(client: client, baseURL: server.baseURL, token: "t0ken")
        let count = try await withTimeout { try await inventory.count(sku: "A-1") }

        #expect(count == 3)
        #expect(server.recorder.requestCount(path: "/inventory/A-1") == 2)
        #expect(server.recorder.requests.allSatisfy { $0.headerFields[.authorization] == "Bearer t0ken" })
        await client.shutdown()
        await server.shutdown()
    }

    @Test func mutualTLS() async throws {
        try await withTimeout {
            // tls-and-mtls.md: testing TLS code
            let authority = try TLSCertificateAuthority()
            var serverTLS = TestServer.TLS()
            serverTLS.certificateAuthority = authority
            serverTLS.clientAuthentication = .required(trustRoots: .pem(authority.certificatePEM))
            let server = try await TestServer.start(.tls(serverTLS))

            var configuration = HTTPClient.Configuration()
            configuration.tls.trustRoots = server.trustRoots!
            configuration.tls.clientCertificate = try authority.issue(commonName: "billing-service").keyPair
            let client = HTTPClient(configuration: configuration)
            let response = try await client.get(server.url("/echo"))
            #expect(response.status == .ok)
            // end
            _ = try await response.body.collect(upTo: 1000)
            // Without the certificate the server refuses the handshake.
            var anonymous = HTTPClient.Configuration()
            anonymous.tls.trustRoots = server.trustRoots!
            let stranger = HTTPClient(configuration: anonymous)
            await #expect(throws: HTTPClientError.self) { _ = try await stranger.get(server.url("/echo")).body.collect(upTo: 1000) }
            await stranger.shutdown()
            await client.shutdown()
            await server.shutdown()
        }
    }
}

/// The client under test in testing-with-test-server.md: reads a stock count, sending its token, and retries
/// once after a 503.
struct InventoryClient {
    let client: HTTPClient
    let baseURL: String
    let token: String

    struct Stock: Decodable { var sku: String; var count: Int }

    func count(sku: String) async throws -> Int {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(token)"
        for attempt in 1...2 {
            let response = try await client.get("\(baseURL)/inventory/\(sku)", headerFields: fields)
            if response.status == .serviceUnavailable && attempt == 1 {
                _ = try await response.body.collect(upTo: 1 << 16)
                continue
            }
            guard response.status == .ok else { throw HTTPClientError(.invalidRequest, "status \(response.status)") }
            return try await response.body.json(Stock.self).count
        }
        throw HTTPClientError(.invalidRequest, "unreachable")
    }
}
