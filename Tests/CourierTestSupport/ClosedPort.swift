#if canImport(Glibc)
import Glibc
#endif

/// A loopback port where connecting is refused for as long as this value lives: the port is bound but not
/// listening, so no other test can take it meanwhile (a port found free and released could be).
public final class ClosedPort: Sendable {
    /// The refused port on 127.0.0.1.
    public let port: Int
    private let descriptor: Int32

    /// Binds a fresh port on 127.0.0.1 without listening.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw -> Bool in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw FixtureError(path: "cannot bind a port on 127.0.0.1")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
