/// Why a compressed response body could not be decoded, or was stopped: the `underlying` error of an
/// `HTTPClientError` with code `decompressionFailed` (corrupt, truncated or trailing data) or `limitExceeded`
/// (a decompression bomb: too large, or too high a ratio).
public struct DecompressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: String, Sendable {
            case corruptData, truncated, trailingData, tooManyCodings, sizeLimitExceeded, ratioLimitExceeded
        }
        fileprivate let value: Value

        /// The bytes are not valid gzip or deflate data (zlib's message is in `detail`).
        public static let corruptData = Code(value: .corruptData)
        /// The body ended before the compressed stream did.
        public static let truncated = Code(value: .truncated)
        /// Bytes follow the end of a deflate stream, or something other than another member follows a gzip one.
        public static let trailingData = Code(value: .trailingData)
        /// More stacked content codings than the decoder accepts.
        public static let tooManyCodings = Code(value: .tooManyCodings)
        /// The decoded body grew past `maximumSize`.
        public static let sizeLimitExceeded = Code(value: .sizeLimitExceeded)
        /// The decoded body grew more than `maximumRatio` times larger than the bytes received.
        public static let ratioLimitExceeded = Code(value: .ratioLimitExceeded)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// Details for people.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Whether this is one of the bomb limits (size or ratio) rather than bad data.
    public var isLimit: Bool { code == .sizeLimitExceeded || code == .ratioLimitExceeded }

    public var description: String { "\(code): \(detail)" }
}
