import Testing
import CourierCore
import CourierTestSupport
@testable import CourierReactor

@Suite struct HappyEyeballsAndDNSTests {
    @Test func interleavesFamiliesStartingWithTheFirst() throws {
        let v6a = try SocketAddress(ipAddress: "::1", port: 1), v6b = try SocketAddress(ipAddress: "::2", port: 1)
        let v4a = try SocketAddress(ipAddress: "127.0.0.1", port: 1), v4b = try SocketAddress(ipAddress: "127.0.0.2", port: 1)
        #expect(HappyEyeballsRace.interleave([v6a, v6b, v4a, v4b]) == [v6a, v4a, v6b, v4b])
        #expect(HappyEyeballsRace.interleave([v4a, v6a, v6b]) == [v4a, v6a, v6b])
    }

    @Test func deadIPv6LosesToLiveIPv4AfterTheStagger() async throws {
        let loop = try EventLoop(name: "test-he")
        defer { loop.syncShutdown() }
        let dead = try SilentListener(host: "::1")
        let live = try startEchoServer(on: loop)
        defer { live.close() }
        let port = live.localAddress.port!
        // The dead address gets the live listener's port number on ::1, where only the silent listener
        // could answer; give it the silent listener's own port instead so its SYNs go unanswered.
        let resolver = StaticResolver(["dual.test": [dead.address, live.localAddress]])
        let start = SystemClock.now()
        let connection = try await withTimeout {
            try await StreamConnection.connect(host: "dual.test", port: dead.address.port!, on: loop,
                                               resolver: PortPinning(resolver: resolver, live: live.localAddress),
                                               timeout: .seconds(10))
        }
        let elapsed = SystemClock.now() - start
        #expect(connection.remoteAddress == live.localAddress)
        #expect(connection.remoteAddress.port == port)
        #expect(elapsed >= .milliseconds(250))
        try await loop.submit { connection.close() }
        // Only the live listener remains once the echo server has seen its side close (a loop turn later):
        // the losing attempt left nothing registered.
        try await withTimeout {
            while try await loop.submit({ loop.registrationCount }) != 1 { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func allAddressesFailingReportsTheFirstError() async throws {
        let loop = try EventLoop(name: "test-he-fail")
        defer { loop.syncShutdown() }
        // Held bound (not listening) for the whole test, so no test running alongside can take the port.
        let closed = try ClosedPort()
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: closed.port)
        let resolver = StaticResolver(["both.test": [try SocketAddress(ipAddress: "::1", port: 0), address]])
        let error = await #expect(throws: ReactorError.self) {
            try await withTimeout {
                _ = try await StreamConnection.connect(host: "both.test", port: address.port!, on: loop,
                                                       resolver: resolver, timeout: .seconds(5))
            }
        }
        #expect(error?.isConnectionRefused == true)
        withExtendedLifetime(closed) {}
    }

    @Test func systemResolverFindsLocalhostAndCaches() async throws {
        let resolver = SystemResolver(threads: 1)
        let first = try await withTimeout { try await resolver.resolve(host: "localhost", port: 8080) }
        #expect(!first.isEmpty)
        #expect(first.allSatisfy { $0.port == 8080 })
        #expect(first.contains { $0.host == "127.0.0.1" || $0.host == "::1" })
        let second = try await withTimeout { try await resolver.resolve(host: "LOCALHOST", port: 443) }
        #expect(second.map { $0.withPort(0) } == first.map { $0.withPort(0) })
        #expect(resolver.lookupCount == 1)
    }

    @Test func systemResolverExpiresEntriesAfterTheTTL() async throws {
        let clock = ManualClock()
        let resolver = SystemResolver(threads: 1, ttl: .seconds(5), clock: clock)
        _ = try await withTimeout { try await resolver.resolve(host: "localhost", port: 1) }
        clock.advance(by: .seconds(6))
        _ = try await withTimeout { try await resolver.resolve(host: "localhost", port: 1) }
        #expect(resolver.lookupCount == 2)
    }

    @Test func concurrentLookupsShareOneQuery() async throws {
        let resolver = SystemResolver(threads: 2)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { _ = try await resolver.resolve(host: "localhost", port: 80) } }
                try await group.waitForAll()
            }
        }
        #expect(resolver.lookupCount == 1)
    }

    @Test func unknownNameIsAResolutionFailure() async throws {
        let resolver = SystemResolver(threads: 1)
        let error = await #expect(throws: ReactorError.self) {
            try await withTimeout { _ = try await resolver.resolve(host: "no-such-host.invalid", port: 80) }
        }
        #expect(error?.isResolutionFailure == true)
    }

    @Test func ipLiteralsNeedNoLookup() async throws {
        let resolver = SystemResolver(threads: 1)
        let addresses = try await resolver.resolve(host: "[::1]", port: 9)
        #expect(addresses == [try SocketAddress(ipAddress: "::1", port: 9)])
        #expect(resolver.lookupCount == 0)
    }
}

/// Resolves through `resolver` but keeps the live address on its own port (the race dials the silent
/// listener's port for the dead candidate and the echo server's port for the live one).
struct PortPinning: Resolver {
    let resolver: StaticResolver
    let live: SocketAddress
    func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress] {
        try await resolver.resolve(host: host, port: port).map { $0.isIPv6 ? $0 : live }
    }
}
