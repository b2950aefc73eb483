import CourierCore

/// Writes a head's field lines for `HTTP1RequestSerializer`, validating each (a token name, a clean value)
/// and refusing the fields the serializer writes itself.
public struct HTTP1FieldWriter: ~Copyable {
    var out = ByteBuffer(capacity: 0)
    let reserved: [StaticString]

    init(reserved: [StaticString]) {
        self.reserved = reserved
    }

    /// Writes `name: value`.
    public mutating func write(name: String, value: String) throws(HTTP1SerializationError) {
        try HeadWriter.writeField(name: name, value: value, reserved: reserved, into: &out)
    }
}
