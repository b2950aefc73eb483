// The identifiers the pool state machine speaks in: requests, connections and event loops.
// They are grouped here because each is a one-field wrapper that exists only to keep the three apart.
import CourierCore

/// Identifies one request for the lifetime of a pool; created by the driver, unique per pool.
public struct RequestID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The driver's number for the request.
    public var rawValue: UInt64

    /// Wraps the driver's number for a request.
    @inlinable
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public static func < (lhs: RequestID, rhs: RequestID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A multiplicative hash instead of SipHash: the pool's tables look these up several times per request,
    /// and the numbers are the pool's own (see `identifierHash`).
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { identifierHash(rawValue, seed: seed) }

    public var description: String { "r\(rawValue)" }
}

/// Identifies one connection of a pool; the state machine creates these (monotonically) when it asks for a
/// connection, so an identifier is never reused and a late event about a closed connection is recognisable.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The pool's number for the connection.
    public var rawValue: UInt64

    /// Wraps a connection number (tests and drivers decoding logs use this; pools create their own).
    @inlinable
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A multiplicative hash instead of SipHash: the pool's tables look these up several times per request,
    /// and the numbers are the pool's own (see `identifierHash`).
    @inlinable
    public func _rawHashValue(seed: Int) -> Int { identifierHash(rawValue, seed: seed) }

    public var description: String { "c\(rawValue)" }
}

/// Identifies the event loop a connection lives on. Opaque to the pool: the driver assigns the numbers and
/// the pool only compares them, to keep a request on the loop its caller prefers.
public struct LoopID: Hashable, Sendable, CustomStringConvertible {
    /// The driver's number for the loop.
    public var rawValue: Int

    /// Wraps the driver's number for an event loop.
    @inlinable
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    public var description: String { "loop\(rawValue)" }
}
