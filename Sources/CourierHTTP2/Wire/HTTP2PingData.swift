/// The 8 opaque octets of a PING frame (RFC 9113 §6.7), kept as one integer (big-endian order of
/// the octets on the wire).
public struct HTTP2PingData: Hashable, Sendable, CustomStringConvertible {
    /// The octets as a big-endian integer.
    public var rawValue: UInt64

    /// Wraps the octets given as a big-endian integer.
    @inlinable
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Creates ping data from exactly 8 octets.
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 8, "PING data is 8 octets")
        rawValue = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The 8 octets in wire order.
    public var bytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: rawValue >> (56 - 8 * $0)) } }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
