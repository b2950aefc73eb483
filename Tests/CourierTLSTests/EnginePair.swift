import CourierCore
import CourierTLS

/// A client engine and a server engine wired back to back in memory: what one writes the other is fed.
final class EnginePair {
    let client: TLSEngine
    let server: TLSEngine
    private var scratch = ByteBuffer(capacity: 64 * 1024)
    /// When set, ciphertext is fed in pieces of this size (split invariance).
    var chunkSize: Int?

    init(client: TLSEngine, server: TLSEngine) {
        self.client = client
        self.server = server
    }

    convenience init(
        client clientContext: TLSClientContext, server serverContext: TLSServerContext,
        hostname: String = "localhost", port: Int = 443
    ) throws {
        self.init(client: try TLSEngine(context: clientContext, serverHostname: hostname, port: port),
                  server: try TLSEngine(context: serverContext))
    }

    /// Moves everything each side has queued to the other; returns the bytes moved.
    @discardableResult
    func flush() -> Int {
        move(from: client, to: server) + move(from: server, to: client)
    }

    func move(from source: TLSEngine, to destination: TLSEngine) -> Int {
        scratch.clear()
        let count = source.outboundCiphertext(into: &scratch)
        guard count > 0 else { return 0 }
        if let chunkSize {
            while scratch.readableBytes > 0 {
                let piece = scratch.readSlice(length: min(chunkSize, scratch.readableBytes))!
                destination.feedCiphertext(piece)
            }
        } else {
            destination.feedCiphertext(scratch)
        }
        return count
    }

    struct Outcome {
        var client: TLSError?
        var server: TLSError?
        var succeeded: Bool { client == nil && server == nil }
    }

    /// Runs both handshakes to completion or failure, delivering alerts to the other side. A side left
    /// waiting after its peer failed sees the stream end, as it would when the peer closes the socket.
    func handshake() -> Outcome {
        var outcome = Outcome()
        var clientDone = false
        var serverDone = false
        for _ in 0..<10_000 {
            if !clientDone && outcome.client == nil {
                do { clientDone = try client.handshake() == .complete } catch { outcome.client = error }
            }
            let moved = flush()
            if !serverDone && outcome.server == nil {
                do { serverDone = try server.handshake() == .complete } catch { outcome.server = error }
            }
            let movedBack = flush()
            let clientFinished = clientDone || outcome.client != nil
            let serverFinished = serverDone || outcome.server != nil
            if clientFinished && serverFinished { break }
            if moved + movedBack == 0 {
                // No progress: one side failed silently or both wait. End the waiting side's stream.
                if !clientFinished { client.receivedEndOfStream() }
                if !serverFinished { server.receivedEndOfStream() }
            }
        }
        return outcome
    }

    /// Sends `bytes` from one side and returns what the other side reads (all of it, or up to an error).
    func send(_ bytes: [UInt8], from sender: TLSEngine) throws -> [UInt8] {
        let receiver = sender === client ? server : client
        var offset = 0
        var received: [UInt8] = []
        var plaintext = ByteBuffer(capacity: 64 * 1024)
        while offset < bytes.count || received.count < bytes.count {
            if offset < bytes.count {
                offset += try bytes[offset...].withUnsafeBytes { try sender.writePlaintext($0) }
            }
            let moved = flush()
            switch try receiver.readPlaintext(into: &plaintext) {
            case .read:
                received += plaintext.readBytes(length: plaintext.readableBytes)!
                plaintext.clear()
            case .wantRead, .closed:
                if moved == 0 && offset >= bytes.count { return received }
            }
        }
        return received
    }

    /// Reads everything `engine` has, until it would block or the session ends.
    func drain(_ engine: TLSEngine) throws -> ([UInt8], TLSReadResult) {
        flush()
        var plaintext = ByteBuffer(capacity: 1024)
        var bytes: [UInt8] = []
        while true {
            let result = try engine.readPlaintext(into: &plaintext)
            if case .read = result {
                bytes += plaintext.readBytes(length: plaintext.readableBytes)!
                plaintext.clear()
                continue
            }
            return (bytes, result)
        }
    }
}
