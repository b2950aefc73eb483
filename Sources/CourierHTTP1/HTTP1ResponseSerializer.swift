import CourierCore

/// Writes responses (server role, for the test server) into a caller's buffer, with the same
/// validation as the request serializer.
///
/// `writeInformational` writes interim responses (100 Continue, 103 Early Hints). `writeHead` writes
/// the final status line, the caller's fields and the framing chosen from the body length; for a
/// response to HEAD, or a 304, pass the length the body would have (it is declared but not sent).
/// 204 and 1xx responses cannot have a body. After a 101 the connection belongs to the new protocol.
public struct HTTP1ResponseSerializer: Sendable {
    private var body = BodyWriter()

    /// Creates a serializer for one connection.
    public init() {}

    /// Whether the previous response has been ended (a new head may be written).
    public var isIdle: Bool { body.isIdle }

    /// Writes an interim 1xx response (not 101, which is a final head here).
    public mutating func writeInformational<Fields: Sequence>(
        status: Int, reason: String? = nil, fields: Fields, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Fields.Element == (name: String, value: String) {
        precondition(body.isIdle, "informational response written inside a response body")
        guard status >= 100 && status < 200 && status != 101 else {
            throw HTTP1SerializationError(.invalidStatus, detail: "\(status) is not an interim status")
        }
        let start = out.writerIndex
        do {
            try writeStatusLine(status: status, reason: reason, into: &out)
            try HeadWriter.writeFields(fields, reserved: HeadWriter.framing, into: &out)
        } catch {
            out.moveWriterIndex(to: start)
            throw error
        }
        HeadWriter.writeStatic("\r\n", into: &out)
    }

    /// Writes `HTTP/1.1 100 Continue` with no fields.
    public mutating func writeContinue(into out: inout ByteBuffer) {
        precondition(body.isIdle, "100 Continue written inside a response body")
        HeadWriter.writeStatic("HTTP/1.1 100 Continue\r\n\r\n", into: &out)
    }

    /// Writes a final response head. `headRequest` declares the length without sending a body (also
    /// implied for 304).
    public mutating func writeHead<Fields: Sequence>(
        status: Int, reason: String? = nil, fields: Fields, body length: HTTP1BodyLength,
        headRequest: Bool = false, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Fields.Element == (name: String, value: String) {
        guard status >= 100 && status <= 999 && !(status < 200 && status != 101) else {
            throw HTTP1SerializationError(.invalidStatus, detail: "\(status) is not a final status")
        }
        let noContent = status == 101 || status == 204
        if noContent && length != .none {
            throw HTTP1SerializationError(.bodyNotAllowed, detail: "status \(status) cannot have a body")
        }
        let start = out.writerIndex
        do {
            out.reserveCapacity(minimumWritableBytes: 256)
            try writeStatusLine(status: status, reason: reason, into: &out)
            try HeadWriter.writeFields(fields, reserved: HeadWriter.framing, into: &out)
        } catch {
            out.moveWriterIndex(to: start)
            throw error
        }
        let sendsBody = !headRequest && status != 304
        switch length {
        case .none:
            if !noContent && status != 304 { HeadWriter.writeStatic("Content-Length: 0\r\n", into: &out) }
            body.begin(.empty)
        case .known(let count):
            precondition(count >= 0, "negative body length")
            HeadWriter.writeStatic("Content-Length: ", into: &out)
            HeadWriter.writeDecimal(count, into: &out)
            HeadWriter.writeStatic("\r\n", into: &out)
            body.begin(sendsBody ? .contentLength(remaining: count) : .empty)
        case .unknown:
            HeadWriter.writeStatic("Transfer-Encoding: chunked\r\n", into: &out)
            body.begin(sendsBody ? .chunked : .empty)
        }
        HeadWriter.writeStatic("\r\n", into: &out)
    }

    /// Writes a final response head with no fields besides framing.
    public mutating func writeHead(
        status: Int, reason: String? = nil, body length: HTTP1BodyLength, headRequest: Bool = false,
        into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) {
        try writeHead(status: status, reason: reason, fields: EmptyCollection<(name: String, value: String)>(),
                      body: length, headRequest: headRequest, into: &out)
    }

    private func writeStatusLine(status: Int, reason: String?, into out: inout ByteBuffer)
        throws(HTTP1SerializationError) {
        var reason = reason ?? Self.standardReason(status)
        let valid = reason.withUTF8 { bytes in
            bytes.isEmpty || CharacterClass.firstInvalidFieldValueByte(bytes.baseAddress!, from: 0, to: bytes.count)
                == bytes.count
        }
        guard valid else { throw HTTP1SerializationError(.invalidReason, detail: "control byte in reason phrase") }
        HeadWriter.writeStatic("HTTP/1.1 ", into: &out)
        HeadWriter.writeDecimal(status, into: &out)
        out.writeInteger(ASCII.space)
        out.writeString(reason)
        HeadWriter.writeStatic("\r\n", into: &out)
    }

    /// Writes body bytes, framed for the head's body length (copied into `out`).
    public mutating func writeBody(_ bytes: ByteBuffer, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.write(bytes, into: &out)
    }

    /// Zero-copy body: the framing before `length` bytes the caller sends itself; see the request serializer.
    public mutating func beginBodyPart(length: Int, into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.beginPart(length: length, into: &out)
    }

    /// The framing after a body part started with `beginBodyPart`.
    public mutating func endBodyPart(into out: inout ByteBuffer) {
        body.endPart(into: &out)
    }

    /// Ends the response: checks the Content-Length was met, or writes the last chunk and `trailers`.
    public mutating func writeEnd<Trailers: Sequence>(
        trailers: Trailers, into out: inout ByteBuffer
    ) throws(HTTP1SerializationError) where Trailers.Element == (name: String, value: String) {
        try body.end(trailers: trailers, into: &out)
    }

    /// Ends the response without trailers.
    public mutating func writeEnd(into out: inout ByteBuffer) throws(HTTP1SerializationError) {
        try body.end(trailers: EmptyCollection<(name: String, value: String)>(), into: &out)
    }

    /// The usual reason phrase for common codes (empty for others; clients ignore it anyway).
    static func standardReason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 103: return "Early Hints"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 417: return "Expectation Failed"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
