/// The head of a request as a server receives it: the pseudo-header fields, checked (RFC 9113
/// §8.3.1), and the regular fields. The pseudo-header values are read from the decoded list when
/// asked for.
public struct HTTP2RequestHead: Sendable, CustomStringConvertible {
    /// The regular fields; `fields.list` holds the pseudo-header fields too.
    public let fields: HTTP2HeaderFields
    let methodIndex: Int
    let schemeIndex: Int?
    let authorityIndex: Int?
    let pathIndex: Int?

    init(fields: HTTP2HeaderFields, methodIndex: Int, schemeIndex: Int?, authorityIndex: Int?, pathIndex: Int?) {
        self.fields = fields
        self.methodIndex = methodIndex
        self.schemeIndex = schemeIndex
        self.authorityIndex = authorityIndex
        self.pathIndex = pathIndex
    }

    /// `:method`.
    public var method: String { fields.list[methodIndex].value }
    /// `:scheme` (absent for CONNECT).
    public var scheme: String? { schemeIndex.map { fields.list[$0].value } }
    /// `:authority`, when the request has one.
    public var authority: String? { authorityIndex.map { fields.list[$0].value } }
    /// `:path` (absent for CONNECT).
    public var path: String? { pathIndex.map { fields.list[$0].value } }

    public var description: String {
        "\(method) \(scheme ?? "-")://\(authority ?? "")\(path ?? "") \(fields)"
    }
}
