import CourierCore

/// The settings of one SETTINGS frame, in wire order, as a view of the frame's payload (no copy,
/// no allocation when decoding). Iterate it to get `HTTP2Setting` values.
public struct HTTP2SettingsList: Sequence, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByArrayLiteral {
    /// The payload: 6 octets per setting.
    public let bytes: ByteBuffer

    /// Wraps a SETTINGS payload whose length is a multiple of 6 (the decoder checks that).
    init(payload: ByteBuffer) {
        precondition(payload.readableBytes % 6 == 0, "a SETTINGS payload is a multiple of 6 octets")
        bytes = payload
    }

    /// A list holding `settings`, in order.
    public init(_ settings: some Sequence<HTTP2Setting>) {
        var buffer = ByteBuffer(capacity: 36)
        for setting in settings {
            buffer.writeInteger(setting.id.rawValue)
            buffer.writeInteger(setting.value)
        }
        bytes = buffer
    }

    /// A list from literal settings.
    public init(arrayLiteral elements: HTTP2Setting...) { self.init(elements) }

    /// The number of settings.
    public var count: Int { bytes.readableBytes / 6 }
    /// Whether the list is empty.
    public var isEmpty: Bool { bytes.readableBytes == 0 }

    /// Iterates the settings in wire order.
    public struct Iterator: IteratorProtocol {
        let bytes: ByteBuffer
        var index: Int

        public mutating func next() -> HTTP2Setting? {
            guard let id = bytes.getInteger(at: index, as: UInt16.self),
                  let value = bytes.getInteger(at: index + 2, as: UInt32.self) else { return nil }
            index += 6
            return HTTP2Setting(HTTP2SettingID(id), value)
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes, index: bytes.readerIndex) }

    public var description: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}
