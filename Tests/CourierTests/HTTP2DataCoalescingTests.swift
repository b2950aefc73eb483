import Testing
import HTTPTypes
import Courier
import CourierTestSupport

/// Consecutive DATA frames of a stream that arrive together reach the body as larger chunks, with every byte in
/// order and nothing reordered around them: trailers, a reset, or another stream's frames in between.
@Suite struct HTTP2DataCoalescingTests {
    /// `count` frames of `size` bytes, each filled with its own index, so a lost or reordered frame shows.
    static func frames(_ count: Int, size: Int) -> [[UInt8]] {
        (0..<count).map { index in [UInt8](repeating: UInt8(truncatingIfNeeded: index &* 7 &+ 1), count: size) }
    }

    static func head(_ stream: UInt32) -> [UInt8] {
        RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders, stream: stream, RawHTTP2.responseBlock())
    }

    /// A peer that answers the first request with `response(stream)` in one write, so the client reads its frames
    /// together (or in a few reads).
    static func peer(_ response: @escaping @Sendable (UInt32) -> [UInt8]) throws -> HostilePeer {
        try HostilePeer { connection, _ in
            guard connection.acceptHTTP2(), let stream = connection.readRequestStream(),
                  connection.send(response(stream)) else { return }
            connection.waitForClientClose()
        }
    }

    /// Reads the body chunk by chunk: the bytes, how many chunks, and the error that ended it, if any.
    static func read(_ response: HTTPClientResponse) async -> (bytes: [UInt8], chunks: Int, error: HTTPClientError?) {
        var bytes: [UInt8] = []
        var chunks = 0
        do {
            for try await chunk in response.body {
                chunks += 1
                bytes += chunk.readableBytesView
            }
            return (bytes, chunks, nil)
        } catch {
            return (bytes, chunks, error as? HTTPClientError)
        }
    }

    @Test func smallFramesArriveAsFewerChunksWithTheirTrailers() async throws {
        let frames = Self.frames(48, size: 1000)
        let peer = try Self.peer { stream in
            let data = frames.flatMap { RawHTTP2.frame(RawHTTP2.data, stream: stream, $0) }
            let trailers = RawHTTP2.frame(RawHTTP2.headers, flags: RawHTTP2.endHeaders | RawHTTP2.endStream, stream: stream,
                                          RawHTTP2.literal("x-checksum", "48x1000"))
            return Self.head(stream) + data + trailers
        }
        let client = Hostile.client(http2: true)
        try await withTimeout {
            let response = try await client.get(peer.url("/"))
            let body = await Self.read(response)
            #expect(body.error == nil)
            let intact = body.bytes == frames.flatMap { $0 }
            #expect(intact, "\(body.bytes.count) bytes of 48,000")
            // Frame by frame this was 48 chunks.
            #expect(body.chunks <= 8, "\(body.chunks) chunks for 48 frames")
            #expect(response.body.trailers?[HTTPField.Name("x-checksum")!] == "48x1000")
        }
        try await Hostile.finish(client, peer)
    }

    @Test func dataBeforeAResetIsDeliveredBeforeTheError() async throws {
        let frames = Self.frames(10, size: 700)
        let peer = try Self.peer { stream in
            let data = frames.flatMap { RawHTTP2.frame(RawHTTP2.data, stream: stream, $0) }
            return Self.head(stream) + data + RawHTTP2.frame(RawHTTP2.rstStream, stream: stream, RawHTTP2.be32(0x2))  // INTERNAL_ERROR
        }
        let client = Hostile.client(http2: true)
        try await withTimeout {
            let response = try await client.get(peer.url("/"))
            let body = await Self.read(response)
            let intact = body.bytes == frames.flatMap { $0 }
            #expect(intact, "\(body.bytes.count) bytes of 7,000 before the error")
            #expect(body.error?.code == .streamReset, "\(String(describing: body.error))")
        }
        try await Hostile.finish(client, peer)
    }

    @Test func interleavedStreamsKeepEachBodyIntact() async throws {
        let first = Self.frames(20, size: 900)
        let second = Self.frames(20, size: 500).map { $0.map { ~$0 } }
        let peer = try HostilePeer { connection, _ in
            guard connection.acceptHTTP2(), let a = connection.readRequestStream(),
                  let b = connection.readRequestStream() else { return }
            // Heads, then DATA alternating between the streams, two frames of one, then one of the other.
            var bytes = Self.head(a) + Self.head(b)
            var (i, j) = (0, 0)
            while i < first.count || j < second.count {
                for _ in 0..<2 where i < first.count {
                    let last = i == first.count - 1
                    bytes += RawHTTP2.frame(RawHTTP2.data, flags: last ? RawHTTP2.endStream : 0, stream: a, first[i])
                    i += 1
                }
                if j < second.count {
                    let last = j == second.count - 1
                    bytes += RawHTTP2.frame(RawHTTP2.data, flags: last ? RawHTTP2.endStream : 0, stream: b, second[j])
                    j += 1
                }
            }
            guard connection.send(bytes) else { return }
            connection.waitForClientClose()
        }
        let client = Hostile.client(http2: true)
        try await withTimeout {
            async let one = Self.read(try await client.get(peer.url("/a")))
            async let two = Self.read(try await client.get(peer.url("/b")))
            let (bodyA, bodyB) = try await (one, two)
            #expect(bodyA.error == nil && bodyB.error == nil)
            // Which request got which stream is up to the client: compare as a pair.
            let expected = [first.flatMap { $0 }, second.flatMap { $0 }]
            let intact = [bodyA.bytes, bodyB.bytes] == expected || [bodyB.bytes, bodyA.bytes] == expected
            #expect(intact, "bodies of \(bodyA.bytes.count) and \(bodyB.bytes.count) bytes (18,000 and 10,000 expected)")
        }
        try await Hostile.finish(client, peer)
    }
}
