/// Why a header block could not be decoded.
///
/// Two families, told apart by `isCompressionError`:
/// - Decoding errors (every code except the two limits): the block violates RFC 7541 or uses an
///   integer beyond our limits. The decoder's dynamic table no longer matches the peer's encoder, so
///   HTTP/2 must close the connection with COMPRESSION_ERROR (RFC 9113 §4.3).
/// - Limit errors (`headerListTooLarge`, `fieldTooLarge`): the block is valid HPACK but larger than we
///   accept. The decoder still processed the whole block, so its dynamic table stays in step with the
///   peer and the connection can go on: the HTTP/2 layer may fail just the stream (RFC 9113 §10.5.1).
public struct HPACKError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. An open set of values: new codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Base: UInt8, Sendable {
            case invalidIndex, integerOverflow, invalidHuffman, tableSizeUpdateNotFirst, tableSizeAboveLimit,
                 tableSizeUpdateMissing, headerListTooLarge, fieldTooLarge, truncated
        }

        @usableFromInline let base: Base

        @usableFromInline
        init(_ base: Base) { self.base = base }

        /// An index of 0, or past the end of the static plus dynamic table (RFC 7541 §2.3.3).
        public static let invalidIndex = Code(.invalidIndex)
        /// An integer longer than this decoder accepts (values above 2^32 − 1; RFC 7541 §5.1).
        public static let integerOverflow = Code(.integerOverflow)
        /// A Huffman string with the EOS symbol, padding longer than 7 bits, or padding that is not
        /// the most significant bits of EOS (RFC 7541 §5.2).
        public static let invalidHuffman = Code(.invalidHuffman)
        /// A dynamic table size update after the first field of a block (RFC 7541 §4.2).
        public static let tableSizeUpdateNotFirst = Code(.tableSizeUpdateNotFirst)
        /// A dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §6.3).
        public static let tableSizeAboveLimit = Code(.tableSizeAboveLimit)
        /// Our SETTINGS_HEADER_TABLE_SIZE went below the table's size and the next block did not start
        /// with a size update at or below it (RFC 7541 §4.2).
        public static let tableSizeUpdateMissing = Code(.tableSizeUpdateMissing)
        /// The decoded header list is larger than `maxHeaderListSize` (a limit, not a decoding error).
        public static let headerListTooLarge = Code(.headerListTooLarge)
        /// One field's name plus value is longer than `maxFieldSize` (a limit, not a decoding error).
        public static let fieldTooLarge = Code(.fieldTooLarge)
        /// The block ends inside an integer or a string.
        public static let truncated = Code(.truncated)

        public var description: String {
            switch base {
            case .invalidIndex: "invalid index"
            case .integerOverflow: "integer overflow"
            case .invalidHuffman: "invalid Huffman string"
            case .tableSizeUpdateNotFirst: "dynamic table size update after a field"
            case .tableSizeAboveLimit: "dynamic table size update above SETTINGS_HEADER_TABLE_SIZE"
            case .tableSizeUpdateMissing: "missing dynamic table size update after SETTINGS_HEADER_TABLE_SIZE shrank"
            case .headerListTooLarge: "header list too large"
            case .fieldTooLarge: "header field too large"
            case .truncated: "truncated header block"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// Offset in the header block of the representation that failed (for limits: of the field that
    /// first crossed the limit).
    public let offset: Int
    /// The offending number, when there is one: an index, a size, or a length.
    public let value: Int?
    /// The limit the value was checked against, when there is one.
    public let limit: Int?

    /// Creates an error; the decoder makes these, tests and other layers may too.
    public init(_ code: Code, offset: Int, value: Int? = nil, limit: Int? = nil) {
        self.code = code
        self.offset = offset
        self.value = value
        self.limit = limit
    }

    /// Whether this is an HPACK decoding error, which HTTP/2 must treat as a connection error of type
    /// COMPRESSION_ERROR. False for the two limits, after which the decoder is still usable.
    public var isCompressionError: Bool { !isLimitExceeded }

    /// Whether a configured limit was exceeded (`headerListTooLarge` or `fieldTooLarge`). The whole
    /// block was still processed, so the dynamic table is intact and the connection may continue.
    public var isLimitExceeded: Bool { code == .headerListTooLarge || code == .fieldTooLarge }

    public var description: String {
        var text = "HPACK \(code) at offset \(offset)"
        if let value { text += ", value \(value)" }
        if let limit { text += ", limit \(limit)" }
        return text
    }
}
