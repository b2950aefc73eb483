import CourierCore
import CourierReactor
import CourierTransport
import HTTPTypes

/// A request as a route handler sees it: method, target, authority, fields, the body (streamed or collected),
/// and where it came from (protocol, connection, position on the connection).
public struct TestRequest: Sendable {
    /// The method.
    public var method: HTTPRequest.Method
    /// `http` or `https`, from the connection (HTTP/1.1) or the `:scheme` pseudo-field (HTTP/2).
    public var scheme: String
    /// The `Host` field (HTTP/1.1) or `:authority` (HTTP/2), or the authority of an absolute-form target.
    public var authority: String?
    /// The request target's path and query as received (`/search?q=a`), or `*` / the authority for
    /// OPTIONS and CONNECT forms.
    public var target: String
    /// The header fields, in received order, including `Host` on HTTP/1.1.
    public var headerFields: HTTPFields
    /// The body.
    public var body: TestRequestBody
    /// HTTP/1.1 (also for HTTP/1.0 requests, see `httpVersion`) or HTTP/2.
    public var protocolVersion: HTTPProtocolVersion
    /// The version as written on the request line (`HTTP/1.0`, `HTTP/1.1`) or `HTTP/2`.
    public var httpVersion: String
    /// Which accepted connection carried the request (numbered from 1 per server).
    public var connectionID: UInt64
    /// The request's position on its connection (1 for the first), for asserting connection reuse.
    public var requestNumberOnConnection: Int
    /// The HTTP/2 stream id, nil on HTTP/1.1.
    public var streamID: Int?
    /// The client's address.
    public var remoteAddress: SocketAddress?
    /// Values captured by the route pattern (`:name` segments, and `*` for a trailing wildcard).
    public var parameters: [String: String] = [:]

    /// A request for calling handlers directly in tests (not from the network).
    public init(
        method: HTTPRequest.Method, target: String, authority: String? = "localhost", scheme: String = "http",
        headerFields: HTTPFields = [:], body: TestRequestBody = .empty,
        protocolVersion: HTTPProtocolVersion = .http1_1, connectionID: UInt64 = 0
    ) {
        self.method = method
        self.target = target
        self.authority = authority
        self.scheme = scheme
        self.headerFields = headerFields
        self.body = body
        self.protocolVersion = protocolVersion
        self.httpVersion = protocolVersion == .http2 ? "HTTP/2" : "HTTP/1.1"
        self.connectionID = connectionID
        self.requestNumberOnConnection = 1
    }

    /// The target's path, without the query.
    public var path: String {
        if let question = target.firstIndex(of: "?") { return String(target[..<question]) }
        return target
    }

    /// The target's query (after `?`), nil without one.
    public var query: String? {
        guard let question = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: question)...])
    }

    /// The query's `name=value` pairs, percent-decoded (`+` as space), in order.
    public var queryItems: [(name: String, value: String)] {
        guard let query else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (name: Self.percentDecoded(parts[0]), value: parts.count > 1 ? Self.percentDecoded(parts[1]) : "")
        }
    }

    /// The first query value named `name`, percent-decoded.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    static func percentDecoded(_ text: Substring, plusAsSpace: Bool = true) -> String {
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if plusAsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < input.count,
                      let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
                continue
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
