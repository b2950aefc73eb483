import CourierCore

/// An HTTP/2 stream identifier: an unsigned 31-bit integer (RFC 9113 §5.1.1).
///
/// Stream 0 is the connection itself. Clients open odd-numbered streams and servers even-numbered
/// ones. The reserved high bit of the wire field is never part of the value.
public struct HTTP2StreamID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The identifier, at most 2^31 − 1.
    public let rawValue: UInt32

    /// Creates a stream identifier; the reserved high bit is dropped, as receivers must (RFC 9113 §4.1).
    @inlinable
    public init(_ rawValue: UInt32) { self.rawValue = rawValue & 0x7fff_ffff }

    /// Creates a stream identifier from an integer literal.
    @inlinable
    public init(integerLiteral value: UInt32) { self.init(value) }

    /// Stream 0: frames that concern the whole connection.
    public static let root = HTTP2StreamID(0)
    /// The largest identifier a stream can have, 2^31 − 1.
    public static let maximum = HTTP2StreamID(0x7fff_ffff)

    /// Whether this is stream 0, the connection.
    @inlinable public var isRoot: Bool { rawValue == 0 }
    /// Whether a client opens streams with this identifier (odd numbers).
    @inlinable public var isClientInitiated: Bool { rawValue & 1 == 1 }
    /// Whether a server opens (promises) streams with this identifier (even numbers other than 0).
    @inlinable public var isServerInitiated: Bool { rawValue != 0 && rawValue & 1 == 0 }

    @inlinable
    public static func < (lhs: HTTP2StreamID, rhs: HTTP2StreamID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A multiplicative hash instead of SipHash (see `identifierHash`): a connection looks its streams up on
    /// every frame. A client's table holds the streams it opened; a server's is bounded by its stream limit.
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { identifierHash(UInt64(rawValue), seed: seed) }

    public var description: String { String(rawValue) }
}
