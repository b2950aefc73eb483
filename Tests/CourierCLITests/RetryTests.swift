import CourierTestServer
import CourierTestSupport
import HTTPTypes
import Testing

/// `courier --retry N` against the test server: transient answers are retried up to N times, idempotent
/// requests only unless they carry an Idempotency-Key, and the summary counts the attempts.
@Suite(.enabled(if: CLI.isBuilt)) struct RetryTests {
    @Test func twoServiceUnavailableAnswersThenSuccess() async throws {
        try await withServer { server in
            server.route(.get, "/flaky") { _ in .text("finally") }
            server.injectResponse(.status(.serviceUnavailable), count: 2, path: "/flaky")
            let result = try await CLI.run(["--retry", "2", "--retry-delay", "0.01", "--summary", server.url("/flaky")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.outputText == "finally")
            let summary = try result.summary()
            #expect(summary["status"] as? Int == 200)
            #expect(summary["attempts"] as? Int == 3)
            #expect(server.recorder.requestCount(path: "/flaky") == 3)
        }
    }

    @Test func theDefaultBackoffHonoursRetryAfter() async throws {
        try await withServer { server in
            server.route(.get, "/flaky") { _ in .text("finally") }
            server.injectResponse(.serviceUnavailable(retryAfter: .zero), count: 1, path: "/flaky")
            let result = try await CLI.run(["--retry", "1", "--summary", server.url("/flaky")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(try result.summary()["attempts"] as? Int == 2)
        }
    }

    @Test func retriesEndWithTheLastAnswer() async throws {
        try await withServer { server in
            server.route(.get, "/flaky") { _ in .text("finally") }
            server.injectResponse(.status(.serviceUnavailable), count: 2, path: "/flaky")
            // One retry is not enough: the second 503 is the answer (a success for curl without --fail).
            let result = try await CLI.run(["--retry", "1", "--retry-delay", "0.01", "--summary", server.url("/flaky")])
            #expect(result.status == 0, "\(result.errors)")
            let summary = try result.summary()
            #expect(summary["status"] as? Int == 503)
            #expect(summary["attempts"] as? Int == 2)
            let failing = try await CLI.run(["--retry", "1", "--retry-delay", "0.01", "--fail", "-s", server.url("/status/503")])
            #expect(failing.status == 15)
            #expect(server.recorder.requestCount(path: "/status/503") == 2)
        }
    }

    @Test func aResetConnectionIsRetried() async throws {
        try await withServer { server in
            server.route(.get, "/flaky") { _ in .text("finally") }
            server.injectFaults([.reset(at: .beforeHead)], count: 1, path: "/flaky")
            let result = try await CLI.run(["--retry", "1", "--retry-delay", "0.01", "--summary", server.url("/flaky")])
            #expect(result.status == 0, "\(result.errors)")
            #expect(result.outputText == "finally")
            #expect(server.recorder.requestCount(path: "/flaky") == 2)
        }
    }

    @Test func aPostIsRetriedOnlyWithAnIdempotencyKey() async throws {
        try await withServer { server in
            server.route(.post, "/orders") { request in
                _ = try await request.body.collect(upTo: 1 << 16)
                return .text("created", status: .created)
            }
            server.injectResponse(.status(.serviceUnavailable), count: 1, path: "/orders")
            let plain = try await CLI.run(["--retry", "3", "--retry-delay", "0.01", "-d", "item=1", "--summary", server.url("/orders")])
            #expect(plain.status == 0, "\(plain.errors)")
            #expect(try plain.summary()["status"] as? Int == 503)
            #expect(server.recorder.requestCount(path: "/orders") == 1)

            server.injectResponse(.status(.serviceUnavailable), count: 1, path: "/orders")
            let keyed = try await CLI.run(["--retry", "3", "--retry-delay", "0.01", "-d", "item=1", "-H", "Idempotency-Key: order-1",
                                           "--summary", server.url("/orders")])
            #expect(keyed.status == 0, "\(keyed.errors)")
            #expect(try keyed.summary()["status"] as? Int == 201)
            #expect(try keyed.summary()["attempts"] as? Int == 2)
            #expect(server.recorder.requestCount(path: "/orders") == 3)
            let bodies = server.recorder.requests(path: "/orders").map(\.bodyString)
            #expect(bodies == ["item=1", "item=1", "item=1"])
        }
    }
}
