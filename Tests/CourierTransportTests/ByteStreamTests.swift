import Testing
import CourierCore
@testable import CourierReactor
import CourierTLS
import CourierTestSupport
import Synchronization
@testable import CourierTransport

/// Echoes over any byte stream; half-closes after the peer's end.
final class StreamEcho: ByteStreamHandler {
    let stream: any ByteStream
    init(_ stream: any ByteStream) { self.stream = stream }
    func streamDidRead(_ buffer: inout ByteBuffer) { stream.write(buffer.readAll()) }
    func streamDidReadEOF(_ end: EndOfInput) { stream.close(error: nil) }
    func streamDidBecomeWritable() {}
    func streamDidClose(error: TransportError?) {}
}

/// Collects until `expected` bytes or the end.
final class StreamCollector: ByteStreamHandler {
    var received = ByteBuffer()
    var end: EndOfInput?
    var closeError: TransportError?
    let expected: Int
    var done: ((StreamCollector) -> Void)?
    init(expected: Int, done: @escaping (StreamCollector) -> Void) { self.expected = expected; self.done = done }
    func streamDidRead(_ buffer: inout ByteBuffer) {
        received.writeBuffer(buffer)
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        if received.readableBytes >= expected { finish() }
    }
    func streamDidReadEOF(_ end: EndOfInput) { self.end = end; finish() }
    func streamDidBecomeWritable() {}
    func streamDidClose(error: TransportError?) { closeError = error; finish() }
    private func finish() { let done = self.done; self.done = nil; done?(self) }
}

struct TLSFixture {
    let authority: TLSCertificateAuthority
    let server: TLSServerContext
    let client: TLSClientContext

    init(serverProtocols: [String] = ["h2", "http/1.1"], clientProtocols: [String] = ["h2", "http/1.1"]) throws {
        authority = try TLSCertificateAuthority()
        let leaf = try authority.issueLocalhost()
        var serverConfiguration = TLSServerConfiguration(certificate: leaf.keyPair)
        serverConfiguration.applicationProtocols = serverProtocols
        server = try TLSServerContext(configuration: serverConfiguration)
        var clientConfiguration = TLSClientConfiguration()
        clientConfiguration.trustRoots = authority.trustRoots
        clientConfiguration.applicationProtocols = clientProtocols
        client = try TLSClientContext(configuration: clientConfiguration)
    }
}

@Suite struct ByteStreamTests {
    @Test func tlsEchoOverTheReactorWithALPN() async throws {
        let loop = try EventLoop(name: "test-tls-echo")
        defer { loop.syncShutdown() }
        let tls = try TLSFixture()
        let listener = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            Task(executorPreference: loop) {
                guard let stream = try? await TLSByteStream.accept(over: connection, context: tls.server, timeout: .seconds(5)) else { return }
                stream.start(handler: StreamEcho(stream))
            }
        }
        defer { listener.close() }
        let payload = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let (echoed, alpn) = try await withTimeout {
            try await Task(executorPreference: loop) { () -> (ByteBuffer, String?) in
                let connection = try await StreamConnection.connect(to: listener.localAddress, on: loop)
                let stream = try await TLSByteStream.connect(over: connection, context: tls.client,
                                                             serverHostname: "localhost", port: 0, timeout: .seconds(5))
                let received = await withCheckedContinuation { continuation in
                    stream.start(handler: StreamCollector(expected: payload.readableBytes) { continuation.resume(returning: $0.received) })
                    stream.write(payload)
                }
                let alpn = stream.negotiatedApplicationProtocol
                stream.close(error: nil)
                return (received, alpn)
            }.value
        }
        #expect(echoed == payload)
        #expect(alpn == "h2")
    }

    @Test func untrustedServerFailsTheHandshakeWithATypedError() async throws {
        let loop = try EventLoop(name: "test-tls-untrusted")
        defer { loop.syncShutdown() }
        let tls = try TLSFixture()
        let stranger = try TLSClientContext(configuration: TLSClientConfiguration())
        let listener = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            Task(executorPreference: loop) {
                _ = try? await TLSByteStream.accept(over: connection, context: tls.server, timeout: .seconds(5))
            }
        }
        defer { listener.close() }
        let error = await #expect(throws: TransportError.self) {
            try await withTimeout {
                try await Task(executorPreference: loop) {
                    let connection = try await StreamConnection.connect(to: listener.localAddress, on: loop)
                    _ = try await TLSByteStream.connect(over: connection, context: stranger, serverHostname: "localhost",
                                                        port: 0, timeout: .seconds(5))
                }.value
            }
        }
        #expect(error?.code == .tlsFailed)
        #expect((error?.underlying as? TLSError)?.code == .untrustedCertificate)
        // Only the listener remains once the server side has seen the close too (a loop turn later).
        try await withTimeout {
            while try await loop.submit({ loop.registrationCount }) != 1 { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func silentPeerHitsTheHandshakeTimeout() async throws {
        let loop = try EventLoop(name: "test-tls-timeout")
        defer { loop.syncShutdown() }
        let tls = try TLSFixture()
        // Accepts and never answers.
        let listener = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            final class Mute: StreamConnectionHandler {
                func connectionDidRead(_ connection: StreamConnection, _ buffer: inout ByteBuffer) { buffer.moveReaderIndex(forwardBy: buffer.readableBytes) }
                func connectionDidClose(_ connection: StreamConnection, error: ReactorError?) {}
            }
            connection.start(handler: Mute())
        }
        defer { listener.close() }
        let error = await #expect(throws: TransportError.self) {
            try await withTimeout {
                try await Task(executorPreference: loop) {
                    let connection = try await StreamConnection.connect(to: listener.localAddress, on: loop)
                    _ = try await TLSByteStream.connect(over: connection, context: tls.client, serverHostname: "localhost",
                                                        port: 0, timeout: .milliseconds(200))
                }.value
            }
        }
        #expect(error?.code == .tlsHandshakeTimeout)
    }

    @Test func peerClosingWithoutCloseNotifyIsReportedAsTruncation() async throws {
        let loop = try EventLoop(name: "test-tls-truncation")
        defer { loop.syncShutdown() }
        let tls = try TLSFixture()
        let listener = try Listener.bind(to: SocketAddress(ipAddress: "127.0.0.1", port: 0), on: loop) { connection in
            Task(executorPreference: loop) {
                guard let stream = try? await TLSByteStream.accept(over: connection, context: tls.server, timeout: .seconds(5)) else { return }
                stream.write(ByteBuffer(string: "partial"))
                stream.flush()
                // Close the socket under TLS: no close_notify.
                stream.connection.close()
            }
        }
        defer { listener.close() }
        let (text, end) = try await withTimeout {
            try await Task(executorPreference: loop) { () -> (String, EndOfInput?) in
                let connection = try await StreamConnection.connect(to: listener.localAddress, on: loop)
                let stream = try await TLSByteStream.connect(over: connection, context: tls.client,
                                                             serverHostname: "localhost", port: 0, timeout: .seconds(5))
                return await withCheckedContinuation { continuation in
                    stream.start(handler: StreamCollector(expected: Int.max) { collector in
                        stream.close(error: nil)
                        continuation.resume(returning: (String(buffer: collector.received), collector.end))
                    })
                }
            }.value
        }
        #expect(text == "partial")
        #expect(end == .truncated)
    }
}

extension String {
    init(buffer: ByteBuffer) {
        self = buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes) ?? ""
    }
}
