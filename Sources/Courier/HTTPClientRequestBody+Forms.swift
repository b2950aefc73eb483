extension HTTPClientRequestBody {
    /// An `application/x-www-form-urlencoded` body (what HTML forms send), fields in the order given.
    public static func form(_ fields: [(String, String)]) -> HTTPClientRequestBody {
        var body = HTTPClientRequestBody.string(QueryString.encode(fields))
        body.contentType = "application/x-www-form-urlencoded"
        return body
    }

    /// An `application/x-www-form-urlencoded` body from a literal (`["q": "swift", "page": "2"]`).
    public static func form(_ fields: KeyValuePairs<String, String>) -> HTTPClientRequestBody {
        form(fields.map { ($0.key, $0.value) })
    }

    /// A `multipart/form-data` body (RFC 7578): files are streamed from disk as the connection takes them.
    public static func multipart(_ form: MultipartForm) -> HTTPClientRequestBody {
        var body = HTTPClientRequestBody.stream(length: form.length) { MultipartStream(form: form) }
        body.contentType = form.contentType
        return body
    }
}

extension HTTPClient {
    /// POSTs `fields` as an HTML form would (`application/x-www-form-urlencoded`).
    public func post(_ url: String, form fields: [(String, String)], headerFields: HTTPFields = HTTPFields(),
                     timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await post(url, body: .form(fields), headerFields: headerFields, timeout: timeout)
    }

    /// POSTs a `multipart/form-data` form.
    public func post(_ url: String, multipart form: MultipartForm, headerFields: HTTPFields = HTTPFields(),
                     timeout: Duration? = nil) async throws(HTTPClientError) -> HTTPClientResponse {
        try await post(url, body: .multipart(form), headerFields: headerFields, timeout: timeout)
    }
}
