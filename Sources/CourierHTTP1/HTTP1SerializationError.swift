// Errors for values our own side asked to send that cannot be sent as valid HTTP/1.1.

/// A request or response could not be serialized because a value given to the serializer is invalid.
///
/// These are local misuse, never the peer's fault: a field value with CR, LF or NUL (header injection),
/// a method that is not a token, a body longer than its declared Content-Length. Nothing is written
/// to the output when a head is rejected.
public struct HTTP1SerializationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input. An open set.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidMethod, invalidTarget, invalidFieldName, invalidFieldValue, reservedField
            case invalidStatus, invalidReason, bodyLengthMismatch, bodyNotAllowed, trailersNotAllowed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The method is empty or contains a byte that is not a token character.
        public static let invalidMethod = Code(.invalidMethod)
        /// The request target is empty or contains a byte outside visible ASCII (space, control, non-ASCII).
        public static let invalidTarget = Code(.invalidTarget)
        /// A field name is empty or contains a byte that is not a token character.
        public static let invalidFieldName = Code(.invalidFieldName)
        /// A field value contains CR, LF, NUL or another control byte, or starts or ends with whitespace.
        public static let invalidFieldValue = Code(.invalidFieldValue)
        /// A field the serializer writes itself (Host, Content-Length, Transfer-Encoding) was also given.
        public static let reservedField = Code(.reservedField)
        /// The status code is outside 100...999, or an informational code was used for a final head.
        public static let invalidStatus = Code(.invalidStatus)
        /// The reason phrase contains a control byte.
        public static let invalidReason = Code(.invalidReason)
        /// More or fewer body bytes than the declared Content-Length.
        public static let bodyLengthMismatch = Code(.bodyLengthMismatch)
        /// Body bytes for a message that cannot have any (no body declared, 204, 304, HEAD).
        public static let bodyNotAllowed = Code(.bodyNotAllowed)
        /// Trailers for a body that is not chunked.
        public static let trailersNotAllowed = Code(.trailersNotAllowed)

        public var description: String { base.rawValue }
    }

    /// What was wrong.
    public let code: Code
    /// Which value was wrong, for logs (a field name, the method, …).
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "cannot serialize HTTP/1.1: \(code)" : "cannot serialize HTTP/1.1: \(code) (\(detail))"
    }
}
