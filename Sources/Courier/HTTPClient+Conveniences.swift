#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension HTTPClient {
    /// A request for `url` (`http://` or `https://`, with an optional port, path and query; a fragment is
    /// dropped) with `method` and `headerFields`. A server on a Unix domain socket is reached with
    /// `http+unix://` or `https+unix://` and the socket's path percent-encoded as the host:
    /// `http+unix://%2Fvar%2Frun%2Fapp.sock/status`.
    public static func request(_ method: HTTPRequest.Method, _ url: String,
                               headerFields: HTTPFields = HTTPFields()) throws(HTTPClientError) -> HTTPRequest {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw HTTPClientError(.invalidRequest, "not an absolute http(s) URL: \(url)")
        }
        let scheme = url[..<colon].lowercased()
        guard ["http", "https", "http+unix", "https+unix"].contains(scheme) else {
            throw HTTPClientError(.invalidRequest, "unsupported scheme \(scheme) in \(url)")
        }
        var rest = url[url.index(colon, offsetBy: 3)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        var path = String(rest[pathStart...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty else { throw HTTPClientError(.invalidRequest, "no host in \(url)") }
        guard !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw HTTPClientError(.invalidRequest, "spaces or control characters in \(url) (percent-encode them)")
        }
        _ = try origin(scheme: scheme, authority: authority)
        return HTTPRequest(method: method, scheme: scheme, authority: authority, path: path, headerFields: headerFields)
    }

    /// GET `url`.
    public func get(_ url: String, headerFields: HTTPFields = HTTPFields(),
                    timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(Self.request(.get, url, headerFields: headerFields), timeout: timeout)
    }

    /// GET a Foundation `URL`.
    public func get(_ url: URL, headerFields: HTTPFields = HTTPFields(),
                    timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await get(url.absoluteString, headerFields: headerFields, timeout: timeout)
    }

    /// HEAD `url` (the response has no body).
    public func head(_ url: String, headerFields: HTTPFields = HTTPFields(),
                     timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(Self.request(.head, url, headerFields: headerFields), timeout: timeout)
    }

    /// DELETE `url`.
    public func delete(_ url: String, headerFields: HTTPFields = HTTPFields(),
                       timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(Self.request(.delete, url, headerFields: headerFields), timeout: timeout)
    }

    /// POST `body` to `url`.
    public func post(_ url: String, body: HTTPClientRequestBody, headerFields: HTTPFields = HTTPFields(),
                     timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(Self.request(.post, url, headerFields: headerFields), body: body, timeout: timeout)
    }

    /// PUT `body` to `url`.
    public func put(_ url: String, body: HTTPClientRequestBody, headerFields: HTTPFields = HTTPFields(),
                    timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await execute(Self.request(.put, url, headerFields: headerFields), body: body, timeout: timeout)
    }

    /// POST `value` encoded as JSON (`Content-Type: application/json` unless given).
    public func post<Value: Encodable>(_ url: String, json value: Value, encoder: JSONEncoder = JSONEncoder(),
                                       headerFields: HTTPFields = HTTPFields(),
                                       timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        let data: Data
        do {
            data = try encoder.encode(value)
        } catch {
            throw HTTPClientError(.invalidRequest, "the JSON body cannot be encoded: \(error)")
        }
        var fields = headerFields
        if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await post(url, body: .bytes(data), headerFields: fields, timeout: timeout)
    }
}

extension HTTPClientResponse.Body {
    /// The body decoded from JSON, at most `maximumBytes` of it.
    public func json<Value: Decodable>(_ type: Value.Type = Value.self, upTo maximumBytes: Int = 16 << 20,
                                       decoder: JSONDecoder = JSONDecoder()) async throws(HTTPClientError) -> Value {
        let buffer = try await collect(upTo: maximumBytes)
        do {
            return try buffer.withUnsafeReadableBytes { try decoder.decode(Value.self, from: Data($0)) }
        } catch {
            throw HTTPClientError(.protocolViolation, "the body is not the expected JSON: \(error)")
        }
    }
}
