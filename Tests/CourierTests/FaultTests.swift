import Testing
import Courier
import CourierReactor
import CourierTestServer
import CourierTestSupport
import Synchronization
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Servers that die, restart, reset or go silent, and names that do not resolve: every request succeeds, is
/// retried only where that cannot duplicate an effect, or fails with a typed error. Nothing hangs.
@Suite struct FaultTests {
    enum Transport: String, CaseIterable, Sendable { case http1, http2 }

    @Test(.enabled(if: NginxServer.isAvailable), .serialized, arguments: Transport.allCases)
    func serverKilledMidResponseFailsTyped(_ transport: Transport) async throws {
        // Rate-limited and large, so that the kernel's loopback buffers (up to 32 MiB of receive buffer here)
        // cannot hold the rest of the body when the server dies, even when this test is slow to run: at
        // 1 MB/s the whole body takes over a minute, so only a stall of half a minute between the first chunk
        // and the kill could let it all through (at 8 MB/s, a 4 s stall on a loaded machine once did). The rate
        // costs no time: the kill comes with the first chunk.
        let nginx = try NginxServer.start(files: ["big.bin": 64 << 20], extraServerConfig: "limit_rate 1m;")
        defer { nginx.stop() }
        let client = Hostile.client(http2: transport == .http2)
        let url = "http://127.0.0.1:\(transport == .http2 ? nginx.h2cPort : nginx.httpPort)/big.bin"
        let started = ContinuousClock.now
        let (outcome, received, killedAt) = try await withTimeout(.seconds(60)) { () -> (HostileOutcome, Int, String) in
            var received = 0
            var killedAt = "never"
            do {
                let response = try await client.get(url)
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    // Kill the server (SIGKILL, workers included) once the transfer is under way; keep reading.
                    if received == chunk.readableBytes {
                        Self.kill(nginx)
                        killedAt = "after \(received) bytes, \(ContinuousClock.now - started) into the test"
                    }
                }
                return (.success(status: response.head.status.code, bodyBytes: received), received, killedAt)
            } catch {
                return (.failed(error), received, killedAt)
            }
        }
        switch outcome {
        case .success(let status, let bytes):
            // Everything had been sent before the kill (HTTP/2 through nginx can be that far ahead): the body
            // must then be complete, not short.
            #expect(transport == .http2 && status == 200 && bytes == 64 << 20,
                    "\(transport): \(outcome); killed \(killedAt), ended \(ContinuousClock.now - started) into the test")
        case .failure(let error):
            #expect(error.code == .connectionClosed, "\(error) after \(received) bytes; killed \(killedAt)")
            #expect(received < 64 << 20)
        case .untyped(let text): Issue.record("untyped error: \(text)")
        }
        try await withTimeout { await client.shutdown() }
    }

    /// SIGKILL to nginx's master and its workers (from its pid file and /proc), as a crash would.
    static func kill(_ nginx: NginxServer) {
        guard let text = try? String(contentsOfFile: nginx.directory + "/nginx.pid", encoding: .utf8),
              let master = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            Issue.record("no nginx pid file")
            return
        }
        let children = (try? String(contentsOfFile: "/proc/\(master)/task/\(master)/children", encoding: .utf8)) ?? ""
        let workers = children.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(Glibc.kill(master, SIGKILL) == 0, "kill \(master): errno \(errno)")
        for worker in workers { Glibc.kill(worker, SIGKILL) }
    }

    @Test(arguments: Transport.allCases)
    func serverClosingOrResettingMidBodyFailsTyped(_ transport: Transport) async throws {
        for reset in [false, true] {
            let (server, client) = try await HostileHTTP1ServerTests.server(transport == .http2 ? .http2 : .http1)
            let fault: TestFault = reset ? .reset(at: .afterBodyBytes(50_000)) : .dropConnection(at: .afterBodyBytes(50_000))
            server.route(.get, "/cut", faults: [fault]) { _ in
                TestResponse(body: .pattern(count: 1 << 20))
            }
            let outcome = try await Hostile.fetch(client, server.url("/cut"))
            let expected: [HTTPClientError.Code] = transport == .http2 && reset ? [.streamReset] : [.connectionClosed]
            #expect(outcome.error.map { expected.contains($0.code) } == true, "reset \(reset): \(outcome)")
            try await HostileHTTP1ServerTests.finish(client, server)
        }
    }

    @Test(arguments: Transport.allCases, [0, 5, 50])
    func connectionResetWhileIdleInThePoolIsReplaced(_ transport: Transport, resetAfterMilliseconds: Int) async throws {
        // The first connection answers one request and is then reset while idle (at once, or late enough
        // that the next request may already be on its way); later connections behave.
        let peer = try HostilePeer { connection, index in
            switch (transport, index) {
            case (.http1, 0):
                guard connection.readRequest() != nil else { return }
                connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                connection.pause(.milliseconds(resetAfterMilliseconds))
                connection.reset()
            case (.http2, 0):
                guard connection.acceptHTTP2(), let stream = connection.readRequestStream() else { return }
                connection.respond(stream: stream)
                connection.pause(.milliseconds(resetAfterMilliseconds))
                connection.reset()
            case (.http1, _): connection.serveHTTP1Normally()
            case (.http2, _): connection.serveHTTP2Normally()
            }
        }
        let client = Hostile.client(http2: transport == .http2)
        let first = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = first else {
            Issue.record("\(first)")
            return
        }
        // A POST (not idempotent) next: it must not be lost to the dead connection, nor sent twice.
        guard let second = try await postRacingAReset(client, peer.url("/")) else { return }
        switch second {
        case .success(let status, let bytes): #expect(status == 200 && bytes == 2)
        case .failure(let error):
            // Only acceptable when the reset raced the POST on the old connection (a typed, honest failure).
            #expect(error.code == .connectionClosed, "\(error)")
        case .untyped(let text): Issue.record("untyped error: \(text)")
        }
        let third = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = third else {
            Issue.record("a GET after the reset failed: \(third)")
            return
        }
        try await Hostile.finish(client, peer)
    }

    @Test(arguments: Transport.allCases)
    func serverRestartedOnTheSamePortWhileRequestsAreInFlight(_ transport: Transport) async throws {
        let first = try await TestServer.start()
        let port = first.port
        let client = Hostile.client(http2: transport == .http2)
        let count = 12
        let inFlight = Task { () -> [HostileOutcome] in
            await withTaskGroup(of: HostileOutcome.self) { group in
                for index in 0..<count {
                    group.addTask {
                        do {
                            let url = "http://127.0.0.1:\(port)/delay/3000?n=\(index)"
                            let response = index % 2 == 0
                                ? try await client.get(url)
                                : try await client.post(url, body: .string("\(index)"))
                            let body = try await response.body.collect(upTo: 1000)
                            return .success(status: response.head.status.code, bodyBytes: body.readableBytes)
                        } catch {
                            return .failed(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        _ = try await withTimeout { try await first.recorder.waitForRequests(count: count) }
        await first.shutdown()
        var configuration = TestServer.Configuration()
        configuration.bindTarget = .address(try SocketAddress(ipAddress: "127.0.0.1", port: port))
        let second = try await TestServer.start(configuration)
        let outcomes = try await withTimeout(.seconds(30)) { await inFlight.value }
        for outcome in outcomes {
            switch outcome {
            case .success(let status, _): #expect(status == 200)
            // Requests still waiting for a connection find the port closed for a moment.
            case .failure(let error): #expect([.connectionClosed, .connectFailed].contains(error.code), "\(error)")
            case .untyped(let text): Issue.record("untyped error: \(text)")
            }
        }
        // The POSTs reached the first server: none may be sent again to the second.
        #expect(second.recorder.requests.filter { $0.method == .post }.isEmpty,
                "\(second.recorder.requests.map(\.target))")
        // New requests go to the restarted server.
        let after = try await Hostile.fetch(client, "http://127.0.0.1:\(port)/status/200")
        guard case .success(200, _) = after else {
            Issue.record("after the restart: \(after)")
            return
        }
        try await HostileHTTP1ServerTests.finish(client, second)
    }

    struct FailingResolver: Resolver {
        func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress] {
            throw ReactorError(.resolutionFailed, context: "resolve(\(host)): no such name")
        }
    }

    @Test func resolutionFailureFailsTyped() async throws {
        let resolver = FailingResolver()
        let client = Hostile.client(http2: false) { $0.resolver = resolver }
        let outcome = try await Hostile.fetch(client, "http://no-such-host.invalid:8080/")
        #expect(outcome.error?.code == .resolutionFailed, "\(outcome)")
        #expect(outcome.error?.isConnectError == true)
        try await withTimeout { await client.shutdown() }
    }

    @Test(arguments: Transport.allCases)
    func halfOpenPeerIsDetectedByTheReadTimeout(_ transport: Transport) async throws {
        // The peer answers one request, then reads everything and answers nothing (not even PING), never
        // closing, on this connection or any other.
        let peer = try HostilePeer { connection, index in
            guard index == 0 else {
                connection.waitForClientClose(within: .seconds(30))
                return
            }
            switch transport {
            case .http1:
                guard connection.readRequest() != nil else { return }
                connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            case .http2:
                guard connection.acceptHTTP2(), let stream = connection.readRequestStream() else { return }
                connection.respond(stream: stream)
            }
            connection.waitForClientClose(within: .seconds(30))
        }
        let client = Hostile.client(http2: transport == .http2) { $0.timeouts.read = .milliseconds(500) }
        let first = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = first else {
            Issue.record("\(first)")
            return
        }
        let second = try await Hostile.fetch(client, peer.url("/"), within: .seconds(20))
        #expect(second.error?.code == .readTimeout, "\(second)")
        try await Hostile.finish(client, peer)
    }

    @Test func halfOpenHTTP2PeerIsDetectedByPing() async throws {
        // No read timeout: the keep-alive PING finds the silent peer and the idle connection is dropped.
        let peer = try HostilePeer { connection, index in
            guard index == 0 else { return connection.serveHTTP2Normally() }
            guard connection.acceptHTTP2(), let stream = connection.readRequestStream() else { return }
            connection.respond(stream: stream)
            connection.waitForClientClose(within: .seconds(30))
        }
        let client = Hostile.client(http2: true) { configuration in
            configuration.timeouts.read = nil
            configuration.pool.http2PingInterval = .milliseconds(200)
            configuration.pool.http2PingTimeout = .milliseconds(300)
        }
        let first = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = first else {
            Issue.record("\(first)")
            return
        }
        // The client closes the dead connection by itself.
        #expect(await peer.waitForClientCloses(1, within: .seconds(10)))
        let second = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = second else {
            Issue.record("after the dead connection: \(second)")
            return
        }
        try await Hostile.finish(client, peer)
    }
}

/// A reset that arrives while the client's loop is busy, so the next request is handed to the dead connection
/// before the loop has seen the reset.
@Suite struct ResetRaceTests {
    @Test(arguments: [false, true])
    func requestGivenToAConnectionResetUnseenFailsOrSucceedsTyped(_ http2: Bool) async throws {
        let group = try EventLoopGroup(loopCount: 1, name: "reset-race")
        let loop = group.next()
        let resetNow = Atomic<Bool>(false)
        let peer = try HostilePeer { connection, index in
            guard index == 0 else { return http2 ? connection.serveHTTP2Normally() : connection.serveHTTP1Normally() }
            if http2 {
                guard connection.acceptHTTP2(), let stream = connection.readRequestStream() else { return }
                connection.respond(stream: stream)
            } else {
                guard connection.readRequest() != nil else { return }
                connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            }
            while !resetNow.load(ordering: .acquiring) { connection.pause(.milliseconds(1)) }
            connection.reset()
        }
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = http2 ? .http2PriorKnowledge : .http1Only
        let client = HTTPClient(configuration: configuration, eventLoopGroup: group)
        let first = try await Hostile.fetch(client, peer.url("/"))
        guard case .success(200, 2) = first else {
            Issue.record("\(first)")
            return
        }
        // Hold the loop, reset the connection meanwhile, and queue the POST behind the hold.
        loop.execute {
            resetNow.store(true, ordering: .releasing)
            var time = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            nanosleep(&time, nil)
        }
        guard let second = try await postRacingAReset(client, peer.url("/")) else { return }
        switch second {
        case .success(let status, let bytes): #expect(status == 200 && bytes == 2)
        case .failure(let error): #expect(error.code == .connectionClosed, "\(error)")
        case .untyped(let text): Issue.record("untyped error: \(text)")
        }
        try await Hostile.finish(client, peer)
    }
}

/// Many streams that each consumed less than a report's worth must not hold the HTTP/2 connection window
/// between them while their readers wait (the window would never reopen).
@Suite struct ConnectionWindowTests {
    @Test func waitingReadersGiveTheConnectionWindowBack() async throws {
        // 20 streams × 192 KiB nearly fill the client's 4 MiB connection window; each reader takes its 192 KiB and
        // waits. Only a connection WINDOW_UPDATE lets the peer finish the responses.
        let streams = 20, piece = 12 * 16384
        let peer = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2() else { return }
            var ids: [UInt32] = []
            while ids.count < streams, let id = connection.readRequestStream() { ids.append(id) }
            for id in ids {
                guard connection.send(RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: id,
                                                     RawHTTP2.responseBlock())) else { return }
                for _ in 0..<(piece / 16384) {
                    guard connection.send(RawHTTP2.frame(RawHTTP2.data, stream: id, [UInt8](repeating: 7, count: 16384))) else { return }
                }
            }
            while let frame = connection.readFrame() {
                if frame.type == RawHTTP2.windowUpdate && frame.stream == 0 { break }
            }
            for id in ids { connection.send(RawHTTP2.frame(RawHTTP2.data, flags: RawHTTP2.endStream, stream: id, [1])) }
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: true)
        let outcomes = try await withTimeout(.seconds(30)) {
            try await withThrowingTaskGroup(of: HostileOutcome.self) { group in
                for _ in 0..<streams {
                    group.addTask { try await Hostile.fetch(client, peer.url("/"), timeout: .seconds(10)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        for outcome in outcomes {
            guard case .success(200, piece + 1) = outcome else {
                Issue.record("\(outcome)")
                continue
            }
        }
        try await Hostile.finish(client, peer)
    }
}

/// A POST sent while its pooled connection is being reset. It must end, successfully or with a typed error,
/// within the limit; if it does not, the failure names a file with the pools' occupancy and every thread's
/// stack (this once hung in about one full run in four: see Docs/hardening.md).
func postRacingAReset(_ client: HTTPClient, _ url: String) async throws -> HostileOutcome? {
    do {
        return try await withTimeout { () -> HostileOutcome in
            do {
                let response = try await client.post(url, body: .string("x"))
                let body = try await response.body.collect(upTo: 100)
                return .success(status: response.head.status.code, bodyBytes: body.readableBytes)
            } catch {
                return .failed(error)
            }
        }
    } catch let timeout as TimeoutError {
        let report = await HangReport.capture(client, label: "post-racing-reset")
        Issue.record(timeout, "a POST racing the reset of its idle connection did not end: \(report)")
        return nil
    }
}
