/// A failure of the test server: it could not start, a body was larger than allowed, or a response could not
/// continue (the connection closed, a fault interrupted it).
///
/// Codes are an open set of static members so new ones can be added without breaking callers.
public struct TestServerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case startFailed, bodyTooLarge, connectionClosed, responseInterrupted, bodyNotWanted, invalidResponse
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Binding, TLS setup or the event loops failed when starting.
        public static let startFailed = Code(.startFailed)
        /// A request body (collected by a handler) or a generated body exceeded its limit.
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// The connection closed while the response was being sent or the request body read.
        public static let connectionClosed = Code(.connectionClosed)
        /// A fault (drop, reset, stall, truncation) ended the response on purpose; generators should stop.
        public static let responseInterrupted = Code(.responseInterrupted)
        /// The response must not have a body (HEAD, 204, 304); generators should stop.
        public static let bodyNotWanted = Code(.bodyNotWanted)
        /// The handler's response cannot be sent (an invalid field, a body longer or shorter than declared).
        public static let invalidResponse = Code(.invalidResponse)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Details, for people.
    public let message: String
    /// The lower layer's error, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
