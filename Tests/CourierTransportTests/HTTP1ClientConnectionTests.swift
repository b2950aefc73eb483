import Testing
import CourierCore
import CourierReactor
import CourierTLS
import CourierTestSupport
import HTTPTypes
@testable import CourierTransport

/// The HTTP/1.1 driver against nginx, without the pool: keep-alive reuse, streamed bodies, HEAD, errors.
@Suite(.enabled(if: NginxServer.isAvailable)) struct HTTP1ClientConnectionTests {
    static func request(_ method: HTTPRequest.Method, _ path: String, port: Int) -> HTTPRequest {
        HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:\(port)", path: path)
    }

    @Test func sequentialExchangesReuseOneConnection() async throws {
        let nginx = try NginxServer.start(files: ["1m": 1 << 20])
        defer { nginx.stop() }
        let loop = try EventLoop(name: "test-h1")
        defer { loop.syncShutdown() }
        let results = try await withTimeout {
            try await Task(executorPreference: loop) { () -> [String] in
                let socket = try await StreamConnection.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: nginx.httpPort), on: loop)
                let connection = HTTP1ClientConnection(stream: PlainByteStream(socket))
                var seen: [String] = []
                for path in ["/small", "/status/204", "/1m", "/small"] {
                    let exchange = try connection.startExchange(Self.request(.get, path, port: nginx.httpPort), bodyLength: .none,
                                                                inlineBody: nil, expectContinue: false)
                    let head = try await exchange.response()
                    var size = 0
                    var valid = true
                    while let chunk = try await exchange.body.next() {
                        if path == "/1m" {
                            for (index, byte) in chunk.readableBytesView.enumerated() where byte != NginxServer.patternByte(at: size + index) {
                                valid = false
                            }
                        }
                        size += chunk.readableBytes
                    }
                    seen.append("\(head.status.code) \(size) \(valid)")
                }
                #expect(connection.completedExchanges == 4)
                connection.close(error: nil)
                return seen
            }.value
        }
        #expect(results == ["200 \(NginxServer.smallBody.utf8.count) true", "204 0 true", "200 1048576 true",
                            "200 \(NginxServer.smallBody.utf8.count) true"])
    }

    /// A body whose end was read in the same batch that paused reading (the consumer is slow) must not leave
    /// the connection paused: the next exchange on it has to read its response.
    @Test func bodyEndingWhilePausedLeavesTheConnectionReading() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let loop = try EventLoop(name: "test-h1-paused")
        defer { loop.syncShutdown() }
        let sizes = try await withTimeout(.seconds(20)) {
            try await Task(executorPreference: loop) { () -> [Int] in
                let socket = try await StreamConnection.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: nginx.httpPort), on: loop)
                var configuration = HTTP1ConnectionConfiguration()
                configuration.responseBufferHighWatermark = 16
                let connection = HTTP1ClientConnection(stream: PlainByteStream(socket), configuration: configuration)
                var sizes: [Int] = []
                for _ in 0..<3 {
                    let exchange = try connection.startExchange(Self.request(.get, "/small", port: nginx.httpPort),
                                                                bodyLength: .none, inlineBody: nil, expectContinue: false)
                    _ = try await exchange.response()
                    var size = 0
                    while let chunk = try await exchange.body.next() { size += chunk.readableBytes }
                    sizes.append(size)
                }
                connection.close(error: nil)
                return sizes
            }.value
        }
        #expect(sizes == Array(repeating: NginxServer.smallBody.utf8.count, count: 3))
    }

    @Test func headResponseHasNoBodyAndKeepsTheConnection() async throws {
        let nginx = try NginxServer.start(files: ["1m": 1 << 20])
        defer { nginx.stop() }
        let loop = try EventLoop(name: "test-h1-head")
        defer { loop.syncShutdown() }
        let (length, reused) = try await withTimeout {
            try await Task(executorPreference: loop) { () -> (String?, Int) in
                let socket = try await StreamConnection.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: nginx.httpPort), on: loop)
                let connection = HTTP1ClientConnection(stream: PlainByteStream(socket))
                let exchange = try connection.startExchange(Self.request(.head, "/1m", port: nginx.httpPort), bodyLength: .none,
                                                            inlineBody: nil, expectContinue: false)
                let head = try await exchange.response()
                #expect(try await exchange.body.next() == nil)
                let second = try connection.startExchange(Self.request(.get, "/small", port: nginx.httpPort), bodyLength: .none,
                                                          inlineBody: nil, expectContinue: false)
                _ = try await second.response()
                while try await second.body.next() != nil {}
                defer { connection.close(error: nil) }
                return (head.headerFields[.contentLength], connection.completedExchanges)
            }.value
        }
        #expect(length == "1048576")
        #expect(reused == 2)
    }

    /// nginx answers `return 200` before reading the body: the response stands and the sender may stop.
    @Test func earlyResponseBeforeTheBodyIsSentIsDelivered() async throws {
        let nginx = try NginxServer.start()
        defer { nginx.stop() }
        let loop = try EventLoop(name: "test-h1-post")
        defer { loop.syncShutdown() }
        let answer = try await withTimeout {
            try await Task(executorPreference: loop) { () -> String in
                let socket = try await StreamConnection.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: nginx.httpPort), on: loop)
                let connection = HTTP1ClientConnection(stream: PlainByteStream(socket))
                defer { connection.close(error: nil) }
                let exchange = try connection.startExchange(Self.request(.post, "/echo-headers", port: nginx.httpPort),
                                                            bodyLength: .unknown, inlineBody: nil, expectContinue: false)
                for _ in 0..<40 where !exchange.isComplete {
                    try await exchange.writeBody(ByteBuffer(repeating: 0x41, count: 256 * 1024))
                }
                try exchange.finishBody()
                let head = try await exchange.response()
                var text = ""
                while let chunk = try await exchange.body.next() { text += String(buffer: chunk) }
                return "\(head.status.code) \(text)"
            }.value
        }
        // nginx fills $content_length from however much of the chunked body it read before answering.
        #expect(answer.hasPrefix("200 ||") && answer.hasSuffix("|POST"))
    }
}
