import Testing
import Courier
import CourierTestServer
import CourierTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Hostile peers repeated: memory and descriptors stay flat. An exit test, so that the process-wide counts see
/// only this scenario.
@Suite struct HostileResourceTests {
    /// One round: an HPACK bomb, an endless CONTINUATION chain, an infinite chunked body and a decompression
    /// bomb, each against a fresh peer and client.
    static func round(_ server: TestServer) async throws {
        let bomb = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2(), let stream = connection.readRequestStream() else { return }
            let block = RawHTTP2.responseBlock() + RawHTTP2.literal("x-bomb", String(repeating: "a", count: 4000), indexed: true)
                + [UInt8](repeating: 0x80 | 62, count: 4000)
            connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, block))
            connection.waitForClientClose()
        }
        let continuation = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2(), let stream = connection.readRequestStream(),
                  connection.send(RawHTTP2.frame(RawHTTP2.headers, stream: stream, RawHTTP2.responseBlock())) else { return }
            while connection.send(RawHTTP2.frame(RawHTTP2.continuation, stream: stream, RawHTTP2.literal("x", "y"))) {}
        }
        let chunked = try HostilePeer { connection, _ in
            guard connection.readRequest() != nil,
                  connection.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") else { return }
            let chunk = Array("4000\r\n".utf8) + [UInt8](repeating: 0x61, count: 0x4000) + Array("\r\n".utf8)
            while connection.send(chunk) {}
        }
        let http2 = Hostile.client(http2: true), http1 = Hostile.client(http2: false)
        for (client, peer) in [(http2, bomb), (http2, continuation), (http1, chunked)] {
            let outcome = try await Hostile.fetch(client, peer.url("/"), bodyLimit: 1 << 20)
            #expect(outcome.error != nil, "\(outcome)")
        }
        let response = try await withTimeout { try await http1.get(server.url("/bomb")) }
        do {
            for try await _ in response.body {}
            Issue.record("the decompression bomb was decoded")
        } catch {}
        for client in [http1, http2] { try await withTimeout { await client.shutdown() } }
        for peer in [bomb, continuation, chunked] {
            _ = await peer.waitForClientCloses(peer.connectionsAccepted)
            peer.stop()
        }
    }

    /// Whether AddressSanitizer or ThreadSanitizer is linked in.
    static var underSanitizer: Bool { dlsym(nil, "__asan_init") != nil || dlsym(nil, "__tsan_init") != nil }

    @Test func repeatedAttacksLeaveDescriptorsAndMemoryFlat() async throws {
        await #expect(processExitsWith: .success) {
            let server = try await TestServer.start()
            HostileHTTP1ServerTests.serveBomb(server)
            for _ in 0..<3 { try await HostileResourceTests.round(server) }   // warm-up: runtime, allocator and pools reach their size
            let descriptorsBefore = openFileDescriptorCount()
            let memoryBefore = residentBytes()
            for _ in 0..<15 { try await HostileResourceTests.round(server) }
            // Peers' threads close their sockets as they end; give them a moment.
            var descriptorsAfter = openFileDescriptorCount()
            let settle = ContinuousClock.now + .seconds(5)
            while descriptorsAfter > descriptorsBefore && ContinuousClock.now < settle {
                try await Task.sleep(for: .milliseconds(20))
                descriptorsAfter = openFileDescriptorCount()
            }
            let memoryAfter = residentBytes()
            await server.shutdown()
            // Under a sanitizer RSS measures its quarantine and shadow memory, not ours: descriptors only.
            let memoryGrew = !HostileResourceTests.underSanitizer && memoryAfter > memoryBefore + 16 << 20
            if descriptorsAfter > descriptorsBefore || memoryGrew {
                print("descriptors \(descriptorsBefore) → \(descriptorsAfter), RSS \(memoryBefore >> 10) → \(memoryAfter >> 10) KiB")
                exit(1)
            }
        }
    }
}
