import CourierCore
import CourierTransport
import HTTPTypes

/// What the server received for one request, kept for the test to assert on.
public struct RecordedRequest: Sendable, CustomStringConvertible {
    /// The order of arrival at this server (1 for the first request).
    public let sequenceNumber: Int
    /// The method.
    public var method: HTTPRequest.Method
    /// The target as received (path and query).
    public var target: String
    /// `http` or `https`.
    public var scheme: String
    /// `Host` or `:authority`.
    public var authority: String?
    /// The header fields, in received order.
    public var headerFields: HTTPFields
    /// HTTP/1.1 or HTTP/2.
    public var protocolVersion: HTTPProtocolVersion
    /// `HTTP/1.0`, `HTTP/1.1` or `HTTP/2`.
    public var httpVersion: String
    /// The connection that carried it.
    public var connectionID: UInt64
    /// Its position on that connection (1 for the first).
    public var requestNumberOnConnection: Int
    /// The HTTP/2 stream id, nil on HTTP/1.1.
    public var streamID: Int?
    /// When its head arrived (monotonic clock).
    public var receivedAt: Timestamp
    /// The body bytes, up to the server's recording limit (`bodyLength` tells the full size).
    public var body: ByteBuffer
    /// How many body bytes arrived in total.
    public var bodyLength: Int
    /// The trailers of a chunked body.
    public var trailers: HTTPFields?
    /// Whether the whole request arrived (false while its body is still coming, or when it was cut off).
    public var isComplete: Bool
    /// Why the request did not complete (the connection closed, a parse error), if it did not.
    public var failure: String?
    /// The status of the response head the server sent, if it sent one.
    public var responseStatus: Int?

    /// The target's path without the query.
    public var path: String {
        if let question = target.firstIndex(of: "?") { return String(target[..<question]) }
        return target
    }

    /// The body as UTF-8 text (as recorded, see `body`).
    public var bodyString: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }

    public var description: String {
        "#\(sequenceNumber) \(method) \(target) \(httpVersion) conn=\(connectionID)/\(requestNumberOnConnection) body=\(bodyLength)"
            + (isComplete ? "" : " incomplete") + (responseStatus.map { " -> \($0)" } ?? "")
    }
}
