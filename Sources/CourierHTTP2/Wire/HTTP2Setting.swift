/// One setting of a SETTINGS frame: an identifier and a 32-bit value (RFC 9113 §6.5.1).
public struct HTTP2Setting: Hashable, Sendable, CustomStringConvertible {
    /// Which setting.
    public var id: HTTP2SettingID
    /// Its value, as sent (validation is the receiver's job).
    public var value: UInt32

    /// Creates a setting.
    @inlinable
    public init(_ id: HTTP2SettingID, _ value: UInt32) {
        self.id = id
        self.value = value
    }

    public var description: String { "\(id)=\(value)" }
}
