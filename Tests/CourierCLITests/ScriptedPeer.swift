import CourierCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP peer on 127.0.0.1 (port 0) that plays a fixed script, for what real servers will not do on demand:
/// it accepts one connection, reads one request (head, then a Content-Length body), records it, then sends
/// `response` and either closes or stays silent until stopped. With `readRequest: false` it sends nothing
/// and reads nothing: a server that accepted but never answers.
final class ScriptedPeer: Sendable {
    /// What to do after the request.
    enum Ending: Sendable {
        /// Close the connection (FIN).
        case close
        /// Keep the connection open and silent until `stop()`.
        case stayOpen
    }

    /// The port it listens on.
    let port: Int
    private let listener: Int32
    private let state = Locked(State())
    private let finished = Locked(false)

    private struct State {
        var request: [UInt8] = []
        var connection: Int32 = -1
        var stopped = false
    }

    init(response: [UInt8] = [], then ending: Ending = .close, readRequest: Bool = true) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw CLIError("cannot listen on 127.0.0.1") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve(response: response, ending: ending, readRequest: readRequest) }
        thread.start()
    }

    /// The request bytes received (head and body).
    var request: [UInt8] { state.withLock { $0.request } }

    private func serve(response: [UInt8], ending: Ending, readRequest: Bool) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        let stopped = state.withLock { state -> Bool in
            state.connection = connection
            return state.stopped
        }
        if stopped {
            close(connection)
            return
        }
        if readRequest {
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            var needed: Int?
            while needed.map({ received.count < $0 }) ?? true {
                let count = read(connection, &chunk, chunk.count)
                if count <= 0 { break }
                received += chunk[0..<count]
                if needed == nil, let end = Self.headEnd(received) {
                    needed = end + Self.contentLength(received[..<end])
                }
            }
            state.withLock { $0.request = received }
            response.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = send(connection, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
        if ending == .close { shutdown(connection, Int32(SHUT_WR)) }
    }

    /// Closes the listener and the connection.
    func stop() {
        let connection = state.withLock { state -> Int32 in
            state.stopped = true
            return state.connection
        }
        guard finished.withLock({ done in
            defer { done = true }
            return !done
        }) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        if connection >= 0 {
            shutdown(connection, Int32(SHUT_RDWR))
            close(connection)
        }
    }

    deinit { stop() }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        for line in text.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            return Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
