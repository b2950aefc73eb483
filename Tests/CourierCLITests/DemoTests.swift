import CourierTestSupport
import Testing

/// `courier demo` runs its whole tour against the in-process server (with smaller sizes than `make demo`).
@Suite(.enabled(if: CLI.isBuilt)) struct DemoTests {
    @Test func tourPassesEveryStep() async throws {
        let result = try await CLI.run(["demo", "--requests", "100", "--download-mb", "8"], timeLimit: .seconds(30))
        let text = result.outputText
        #expect(result.status == 0, "\(text)\n\(result.errors)")
        #expect(text.hasPrefix("Courier demo: in-process test server at https://localhost:"))
        #expect(text.contains("✓ HTTP/1.1 over TLS      200 HTTP/1.1"))
        #expect(text.contains("✓ HTTP/2 over TLS        200 HTTP/2 (ALPN h2)"))
        #expect(text.contains("✓ 100 concurrent         100/100 answered 200"))
        #expect(text.contains("multiplexed on 1 HTTP/2 connection"))
        #expect(text.contains("✓ 8 MB download          8000000 bytes streamed"))
        #expect(text.contains("pattern verified"))
        #expect(text.contains("✓ NDJSON lines           5/5 lines"))
        #expect(text.contains("✓ typed error            server reset after"))
        #expect(!text.contains("✗"))
        #expect(text.contains("\ndone in "))
    }
}
