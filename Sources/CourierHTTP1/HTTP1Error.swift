// Errors for bytes received from the peer that break RFC 9112 (or a configured limit).

/// The peer sent bytes that are not a valid HTTP/1.1 message, or that exceed a configured limit.
///
/// A parser that throws this stays failed (every later `next()` throws the same error): the connection
/// cannot be trusted any more and must be closed. `code` says what went wrong, `offset` where (counted
/// in bytes from the first byte given to the parser), and `byte` which octet was seen there, if any.
public struct HTTP1Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of violation this is. An open set: new codes may be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidStatusLine, invalidMethod, invalidTarget, invalidVersion
            case invalidHeaderName, invalidHeaderValue, bareLineFeed, bareCarriageReturn, obsoleteLineFolding
            case conflictingFraming, invalidContentLength, invalidTransferEncoding
            case invalidChunkSize, invalidChunkExtension, invalidChunkTerminator
            case startLineTooLong, fieldLineTooLong, headerTooLarge, tooManyHeaders
            case chunkExtensionTooLong, trailersTooLarge
            case truncatedHead, truncatedBody, closedBeforeResponse, unexpectedData
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The status line is not `HTTP/x.y SP 3DIGIT [SP reason]` (RFC 9112 §4).
        public static let invalidStatusLine = Code(.invalidStatusLine)
        /// The request method is not a token (RFC 9110 §9.1).
        public static let invalidMethod = Code(.invalidMethod)
        /// The request target contains a byte outside visible ASCII (RFC 9112 §3.2).
        public static let invalidTarget = Code(.invalidTarget)
        /// The HTTP version is malformed or not HTTP/1.x (RFC 9112 §2.3).
        public static let invalidVersion = Code(.invalidVersion)
        /// A field name is empty, contains a non-token byte, or is followed by whitespace before the colon.
        public static let invalidHeaderName = Code(.invalidHeaderName)
        /// A field value (or reason phrase) contains a control byte such as NUL (RFC 9110 §5.5).
        public static let invalidHeaderValue = Code(.invalidHeaderValue)
        /// A line ended with LF alone where CRLF is required (RFC 9112 §2.2).
        public static let bareLineFeed = Code(.bareLineFeed)
        /// A CR was not followed by LF (RFC 9112 §2.2).
        public static let bareCarriageReturn = Code(.bareCarriageReturn)
        /// A field line starts with whitespace: obsolete line folding, or whitespace before the first field.
        public static let obsoleteLineFolding = Code(.obsoleteLineFolding)
        /// Both Transfer-Encoding and Content-Length are present (RFC 9112 §6.3 rule 3).
        public static let conflictingFraming = Code(.conflictingFraming)
        /// Content-Length is empty, not decimal digits, too large, or repeated with different values.
        public static let invalidContentLength = Code(.invalidContentLength)
        /// A request's Transfer-Encoding does not end in `chunked`, or `chunked` is applied twice.
        public static let invalidTransferEncoding = Code(.invalidTransferEncoding)
        /// A chunk size is missing, not hexadecimal, too large, or followed by something other than `;` or CRLF.
        public static let invalidChunkSize = Code(.invalidChunkSize)
        /// A chunk extension is not `;name[=token / quoted-string]` (RFC 9112 §7.1.1).
        public static let invalidChunkExtension = Code(.invalidChunkExtension)
        /// Chunk data was not followed by CRLF.
        public static let invalidChunkTerminator = Code(.invalidChunkTerminator)
        /// The status or request line is longer than `HTTP1Limits.maxStartLineLength`.
        public static let startLineTooLong = Code(.startLineTooLong)
        /// A field line is longer than `HTTP1Limits.maxFieldLineLength`.
        public static let fieldLineTooLong = Code(.fieldLineTooLong)
        /// The head (start line and fields) is larger than `HTTP1Limits.maxHeadSize`.
        public static let headerTooLarge = Code(.headerTooLarge)
        /// More field lines than `HTTP1Limits.maxFieldCount` (in the head or in the trailers).
        public static let tooManyHeaders = Code(.tooManyHeaders)
        /// The chunk extensions of one message add up to more than `HTTP1Limits.maxChunkExtensionSize`.
        public static let chunkExtensionTooLong = Code(.chunkExtensionTooLong)
        /// The trailer section is larger than `HTTP1Limits.maxTrailerSize`.
        public static let trailersTooLarge = Code(.trailersTooLarge)
        /// The connection ended in the middle of a head.
        public static let truncatedHead = Code(.truncatedHead)
        /// The connection ended before the body's declared end (Content-Length or last chunk).
        public static let truncatedBody = Code(.truncatedBody)
        /// The connection ended before any byte of an expected response arrived (the request may be retried
        /// if it is idempotent or was never processed).
        public static let closedBeforeResponse = Code(.closedBeforeResponse)
        /// Bytes arrived after a message that ended the connection (`Connection: close` or HTTP/1.0).
        public static let unexpectedData = Code(.unexpectedData)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Where: the number of bytes given to the parser before the offending one.
    public let offset: Int
    /// The offending octet, when one was seen (nil for limits and truncation).
    public let byte: UInt8?
    /// A short explanation for logs.
    public let detail: String

    /// Creates an error; parsers create these, tests and drivers usually only inspect them.
    public init(_ code: Code, offset: Int, byte: UInt8? = nil, detail: String = "") {
        self.code = code
        self.offset = offset
        self.byte = byte
        self.detail = detail
    }

    /// Whether the message was cut short by the end of the connection rather than malformed.
    public var isTruncation: Bool {
        code == .truncatedHead || code == .truncatedBody || code == .closedBeforeResponse
    }

    /// Whether a configured limit was exceeded (the message may be valid but too large for us).
    public var isLimitExceeded: Bool {
        switch code {
        case .startLineTooLong, .fieldLineTooLong, .headerTooLarge, .tooManyHeaders,
             .chunkExtensionTooLong, .trailersTooLarge:
            return true
        default:
            return false
        }
    }

    public var description: String {
        var text = "HTTP/1.1 \(code) at offset \(offset)"
        if let byte { text += " (byte 0x\(String(byte, radix: 16)))" }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
