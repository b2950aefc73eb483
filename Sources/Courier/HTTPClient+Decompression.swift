extension HTTPClient {
    /// Transparent decoding of `gzip` and `deflate` response bodies (on by default, like httpx, aiohttp,
    /// OkHttp and URLSession; curl needs `--compressed`). When on, requests without an `Accept-Encoding`
    /// field get `Accept-Encoding: gzip, deflate`, and responses in those codings are decoded as they stream,
    /// with `Content-Encoding` and `Content-Length` removed from their head. Codings the client does not know
    /// (`br`, `zstd`) are left alone, as are `206 Partial Content` responses (a range of compressed bytes).
    ///
    /// Decompression bombs meet two limits, each reported as `limitExceeded` with a `DecompressionError`
    /// underneath (`sizeLimitExceeded` or `ratioLimitExceeded`); corrupt or truncated data is
    /// `decompressionFailed`.
    public struct Decompression: Sendable, Hashable {
        /// Whether to ask for and decode compressed bodies (a request's `options.decompressResponse` overrides).
        public var isEnabled = true
        /// The most decoded bytes one body may produce (nil: no limit).
        public var maximumSize: Int? = 1 << 30
        /// The most decoded bytes per received byte (nil: no limit); checked once `ratioThreshold` bytes were
        /// decoded, so small, very repetitive bodies pass. A single deflate layer tops out near 1032:1.
        public var maximumRatio: Int? = 200
        /// Decoded bytes before the ratio is checked.
        public var ratioThreshold = 1 << 20

        /// The defaults: on, 1 GiB, ratio 200 past 1 MiB.
        public init() {}

        /// Off: bodies arrive as sent and no `Accept-Encoding` is added.
        public static var disabled: Decompression {
            var decompression = Decompression()
            decompression.isEnabled = false
            return decompression
        }
    }
}

/// The request and response sides of transparent decompression.
enum ContentDecoding {
    /// The value sent when the caller did not choose one.
    static let acceptEncoding = "gzip, deflate"
    /// Stacked codings beyond this many are refused (a response needs one; two is already odd).
    static let maximumCodings = 3

    /// The field sent when the caller did not choose codings, as the one-element list the fields subscript
    /// takes (made once: every request adds it).
    static let acceptEncodingFields = [HTTPField(name: .acceptEncoding, value: acceptEncoding)]

    /// Asks for compressed bodies unless the caller chose codings or asked for a range.
    static func prepare(_ head: inout HTTPRequest) {
        guard !head.headerFields.contains(named: .acceptEncoding, or: .range) else { return }
        // The name is known absent: the subscript's setter appends without the generic path `append` takes.
        head.headerFields[fields: .acceptEncoding] = acceptEncodingFields
    }

    /// The response with its body decoded as it streams, or unchanged when it is not encoded in codings
    /// this client decodes.
    static func decode(_ response: consuming HTTPClientResponse, method: HTTPRequest.Method,
                       configuration: HTTPClient.Decompression) throws(HTTPClientError) -> HTTPClientResponse {
        let status = response.status.code
        guard method != .head, status != 204, status != 304, status != 206, status >= 200,
              let codings = codings(of: response.head.headerFields) else { return response }
        guard codings.count <= maximumCodings else {
            response.body.cancel()
            throw HTTPClientError(.decompressionFailed, "the response has \(codings.count) stacked content codings",
                                  underlying: DecompressionError(.tooManyCodings, "\(codings.count) codings"))
        }
        var decoded = response
        decoded.head.headerFields[.contentEncoding] = nil
        decoded.head.headerFields[.contentLength] = nil
        guard !decoded.body.isKnownEmpty else { return decoded }
        let budget = DecompressionBudget(maximumSize: configuration.maximumSize, maximumRatio: configuration.maximumRatio,
                                         ratioThreshold: configuration.ratioThreshold)
        // Codings are listed in the order they were applied: decode from the last.
        var source = decoded.body.makeSource()
        for (index, format) in codings.reversed().enumerated() {
            source = DecompressingBodySource(inner: source, format: format, budget: budget,
                                             isBottom: index == 0, isTop: index == codings.count - 1)
        }
        decoded.body = HTTPClientResponse.Body(wrapping: source)
        return decoded
    }

    /// The codings in `Content-Encoding`, nil when there are none or one is not decodable here.
    static func codings(of fields: HTTPFields) -> [StreamingInflater.Format]? {
        guard fields.contains(named: .contentEncoding) else { return nil }
        let values = fields[values: .contentEncoding]
        var formats: [StreamingInflater.Format] = []
        for value in values {
            for token in value.split(separator: ",") {
                switch token.trimmingSpaces.lowercased() {
                case "gzip", "x-gzip": formats.append(.gzip)
                case "deflate": formats.append(.deflate)
                case "identity", "": continue
                default: return nil
                }
            }
        }
        return formats.isEmpty ? nil : formats
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
