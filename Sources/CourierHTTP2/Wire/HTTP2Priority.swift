/// The deprecated priority fields of PRIORITY and HEADERS frames (RFC 9113 §5.3.2, §6.3). Parsed so
/// that frames can be validated and round-tripped; the connection ignores them.
public struct HTTP2Priority: Hashable, Sendable, CustomStringConvertible {
    /// Whether the dependency is exclusive.
    public var exclusive: Bool
    /// The stream this one depends on.
    public var dependency: HTTP2StreamID
    /// The weight, 1 to 256 (the wire carries weight − 1).
    public var weight: Int

    /// Creates priority fields; `weight` must be 1...256.
    public init(exclusive: Bool = false, dependency: HTTP2StreamID, weight: Int = 16) {
        precondition((1...256).contains(weight), "priority weight is 1...256")
        self.exclusive = exclusive
        self.dependency = dependency
        self.weight = weight
    }

    public var description: String { "priority(\(exclusive ? "exclusive " : "")on \(dependency), weight \(weight))" }
}
