import CourierCore
import CourierHPACK

/// The regular fields of a decoded field section: a view of a header list past its pseudo-header
/// fields (which RFC 9113 §8.3 puts first). Nothing is copied: the fields stay in the list's
/// storage. Names are lowercase and validated (§8.2.1).
public struct HTTP2HeaderFields: RandomAccessCollection, Sendable, CustomStringConvertible {
    /// The whole decoded list, pseudo-header fields included.
    public let list: HPACKHeaderList
    /// The index in `list` of the first regular field.
    public let startIndex: Int

    /// Wraps `list`, skipping its first `regularFieldsStart` fields.
    public init(list: HPACKHeaderList, regularFieldsStart: Int = 0) {
        precondition(regularFieldsStart >= 0 && regularFieldsStart <= list.count, "start out of range")
        self.list = list
        startIndex = regularFieldsStart
    }

    /// One past the last field.
    public var endIndex: Int { list.count }

    /// The field at `position` (an index of `list`).
    public subscript(position: Int) -> HPACKHeaderList.Field { list[position] }

    /// The value of the first field named `name` (lowercase), or nil.
    public func firstValue(for name: String) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }

    /// The values of every field named `name` (lowercase), in order.
    public func values(for name: String) -> [String] {
        compactMap { $0.name == name ? $0.value : nil }
    }

    /// The fields as (name, value) strings (allocates; for tests and diagnostics).
    public var pairs: [(name: String, value: String)] { map { ($0.name, $0.value) } }

    public var description: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}

/// The head of a response as a client receives it: the status and the regular fields, validated
/// (RFC 9113 §8.3.2).
public struct HTTP2ResponseHead: Sendable, CustomStringConvertible {
    /// The status code, 100 to 999 (101 is never delivered: HTTP/2 does not support it, §8.6).
    public let status: Int
    /// The regular fields.
    public let fields: HTTP2HeaderFields

    /// Creates a response head.
    public init(status: Int, fields: HTTP2HeaderFields) {
        self.status = status
        self.fields = fields
    }

    /// Whether this is an interim (1xx) response.
    public var isInformational: Bool { status < 200 }

    public var description: String { "\(status) \(fields)" }
}

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

/// The GOAWAY a peer sent, with what it means for our streams (RFC 9113 §6.8).
public struct HTTP2GoAway: Sendable, CustomStringConvertible {
    /// The highest of our streams the peer might have processed.
    public let lastStreamID: HTTP2StreamID
    /// Why the peer is closing (NO_ERROR for a graceful shutdown).
    public let errorCode: HTTP2ErrorCode
    /// The peer's opaque diagnostic octets.
    public let debugData: ByteBuffer
    /// Our streams above `lastStreamID`, now closed, that the peer never processed, plus streams
    /// still queued here: all safe to retry on a new connection, whatever their method (§8.7).
    public let unprocessedStreams: [HTTP2StreamID]

    public var description: String {
        "GOAWAY(last \(lastStreamID), \(errorCode), unprocessed \(unprocessedStreams))"
    }
}
