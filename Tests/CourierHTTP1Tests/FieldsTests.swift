import CourierCore
import CourierHTTP1
import Testing

/// The `HTTP1Fields` view: order, duplicates, case-insensitive look-up, byte and string accessors.
@Suite struct FieldsTests {
    func head(_ fields: String) throws -> HTTP1ResponseHead {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toMethod: "GET")
        parser.append(ByteBuffer(string: "HTTP/1.1 200 Fine Thanks\r\n" + fields + "Content-Length: 0\r\n\r\n"))
        guard case .head(let head) = try parser.next() else { throw HTTP1Error(.truncatedHead, offset: 0) }
        return head
    }

    @Test func lookupsIgnoreCaseAndKeepOrder() throws {
        let head = try head("Set-Cookie: a=1\r\nX-Trace:  abc  \r\nset-cookie: b=2\r\nSET-COOKIE: c=3\r\n")
        let fields = head.fields
        #expect(fields.count == 5)
        #expect(fields["x-trace"] == "abc")
        #expect(fields["X-TRACE"] == "abc")
        #expect(fields.values(named: "Set-Cookie") == ["a=1", "b=2", "c=3"])
        #expect(fields.contains("content-length") && !fields.contains("content-lengt"))
        #expect(fields.firstIndex(named: "SET-cookie") == 0)
        #expect(fields[1].name == "X-Trace" && fields[1].hasName("x-trace"))
        #expect(Array(fields[1].valueBytes) == Array("abc".utf8))
        #expect(Array(fields[1].nameBytes) == Array("X-Trace".utf8))
        #expect(fields.pairs.map(\.name) == ["Set-Cookie", "X-Trace", "set-cookie", "SET-COOKIE", "Content-Length"])
        #expect(head.reason == "Fine Thanks" && Array(head.reasonBytes) == Array("Fine Thanks".utf8))
        // Case folding must not equate bytes that differ only in bit 0x20 outside letters ('^' vs '~').
        let odd = try self.head("X^A: 1\r\n")
        #expect(odd.fields["x~a"] == nil && odd.fields["X^a"] == "1")
    }

    @Test func fieldsOutliveTheParser() throws {
        var kept: HTTP1Fields?
        do {
            let head = try head("X-Long: " + String(repeating: "v", count: 100) + "\r\n")
            kept = head.fields
        }
        #expect(kept?["x-long"]?.count == 100)
        #expect(HTTP1Fields().isEmpty)
    }
}
