import CourierCore
import CourierHTTP1
import Testing

/// Request and response serializers: exact bytes, validation (no injection through the API), body
/// accounting, and round trips through the parsers of the other role at random splits.
@Suite struct SerializerTests {
    typealias Fields = [(name: String, value: String)]

    @Test func requestHeadBytes() throws {
        var serializer = HTTP1RequestSerializer()
        var out = ByteBuffer()
        try serializer.writeRequestHead(method: "GET", target: "/search?q=a%20b", host: "example.com",
                                        fields: [("Accept", "*/*"), ("User-Agent", "courier")] as Fields,
                                        body: .none, into: &out)
        try serializer.writeEnd(into: &out)
        #expect(String(buffer: out) == "GET /search?q=a%20b HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n"
                + "User-Agent: courier\r\n\r\n")
        #expect(serializer.isIdle)
    }

    @Test func fieldsHandedOneByOneMatchTheListForm() throws {
        let fields: Fields = [("Accept", "*/*"), ("User-Agent", "courier")]
        var listed = HTTP1RequestSerializer()
        var expected = ByteBuffer()
        try listed.writeRequestHead(method: "POST", target: "/", host: "h", fields: fields, body: .known(3), into: &expected)
        var handed = HTTP1RequestSerializer()
        var out = ByteBuffer(string: "kept")
        try handed.writeRequestHead(method: "POST", target: "/", host: "h", body: .known(3), into: &out) {
            (writer) throws(HTTP1SerializationError) in
            for field in fields { try writer.write(name: field.name, value: field.value) }
        }
        #expect(String(buffer: out) == "kept" + String(buffer: expected))
        var refused = HTTP1RequestSerializer()
        var untouched = ByteBuffer(string: "kept")
        #expect(throws: HTTP1SerializationError.self) {
            try refused.writeRequestHead(method: "GET", target: "/", host: "h", body: .none, into: &untouched) {
                (writer) throws(HTTP1SerializationError) in
                try writer.write(name: "Accept", value: "*/*")
                try writer.write(name: "Content-Length", value: "1")
            }
        }
        #expect(String(buffer: untouched) == "kept")
        #expect(refused.isIdle)
    }

    @Test func framingFollowsWhatTheBodyKnows() throws {
        var serializer = HTTP1RequestSerializer()
        var out = ByteBuffer()
        try serializer.writeRequestHead(method: "POST", target: "/", host: "h", body: .known(5), into: &out)
        try serializer.writeBody(ByteBuffer(string: "hel"), into: &out)
        try serializer.writeBody(ByteBuffer(string: "lo"), into: &out)
        try serializer.writeEnd(into: &out)
        #expect(String(buffer: out) == "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")

        out.clear()
        try serializer.writeRequestHead(method: "PUT", target: "/u", host: "h", body: .unknown, expectContinue: true,
                                        into: &out)
        try serializer.writeBody(ByteBuffer(string: "0123456789abcdef!"), into: &out)
        try serializer.writeBody(ByteBuffer(), into: &out) // an empty write must not end the body
        try serializer.beginBodyPart(length: 3, into: &out)
        out.writeString("xyz") // the caller's own bytes (zero-copy path)
        serializer.endBodyPart(into: &out)
        try serializer.writeEnd(trailers: [("Checksum", "abc")] as Fields, into: &out)
        #expect(String(buffer: out) == "PUT /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                + "Expect: 100-continue\r\n\r\n11\r\n0123456789abcdef!\r\n3\r\nxyz\r\n0\r\nChecksum: abc\r\n\r\n")
    }

    @Test(arguments: [
        ("GET", "/", "h", "X-A", "ok\r\nInjected: yes", HTTP1SerializationError.Code.invalidFieldValue),
        ("GET", "/", "h", "X-A", "ok\nInjected: yes", .invalidFieldValue),
        ("GET", "/", "h", "X-A", "nul\u{0}", .invalidFieldValue),
        ("GET", "/", "h", "X-A", " leading", .invalidFieldValue),
        ("GET", "/", "h", "X-A", "trailing\t", .invalidFieldValue),
        ("GET", "/", "h", "X-A\r\nInjected", "v", .invalidFieldName),
        ("GET", "/", "h", "X A", "v", .invalidFieldName),
        ("GET", "/", "h", "", "v", .invalidFieldName),
        ("GET", "/", "h", "content-length", "5", .reservedField),
        ("GET", "/", "h", "Transfer-Encoding", "chunked", .reservedField),
        ("GET", "/", "h", "HOST", "other", .reservedField),
        ("GET", "/", "h\r\nX: y", "X-A", "v", .invalidFieldValue),
        ("GET", "/a b", "h", "X-A", "v", .invalidTarget),
        ("GET", "/a\r\nX: y", "h", "X-A", "v", .invalidTarget),
        ("GET", "", "h", "X-A", "v", .invalidTarget),
        ("GET", "/caf\u{E9}", "h", "X-A", "v", .invalidTarget),
        ("GE T", "/", "h", "X-A", "v", .invalidMethod),
        ("", "/", "h", "X-A", "v", .invalidMethod),
    ])
    func invalidRequestsAreRefusedAndNothingIsWritten(
        _ method: String, _ target: String, _ host: String, _ name: String, _ value: String,
        _ code: HTTP1SerializationError.Code
    ) {
        var serializer = HTTP1RequestSerializer()
        var out = ByteBuffer(string: "previous bytes")
        #expect(throws: HTTP1SerializationError.self) {
            try serializer.writeRequestHead(method: method, target: target, host: host,
                                            fields: [("Accept", "*/*"), (name, value)] as Fields,
                                            body: .none, into: &out)
        }
        do {
            try serializer.writeRequestHead(method: method, target: target, host: host,
                                            fields: [("Accept", "*/*"), (name, value)] as Fields, body: .none, into: &out)
        } catch {
            #expect(error.code == code)
        }
        #expect(String(buffer: out) == "previous bytes")
        #expect(serializer.isIdle)
    }

    @Test func bodyAccounting() throws {
        var serializer = HTTP1RequestSerializer()
        var out = ByteBuffer()
        try serializer.writeRequestHead(method: "POST", target: "/", host: "h", body: .known(2), into: &out)
        #expect(throws: HTTP1SerializationError(.bodyLengthMismatch, detail: "body longer than its Content-Length")) {
            try serializer.writeBody(ByteBuffer(string: "abc"), into: &out)
        }
        try serializer.writeBody(ByteBuffer(string: "a"), into: &out)
        do {
            try serializer.writeEnd(into: &out)
            Issue.record("a short body must be refused")
        } catch {
            #expect(error.code == .bodyLengthMismatch)
        }
        var other = HTTP1RequestSerializer()
        try other.writeRequestHead(method: "GET", target: "/", host: "h", body: .none, into: &out)
        do {
            try other.writeBody(ByteBuffer(string: "x"), into: &out)
            Issue.record("a body after .none must be refused")
        } catch {
            #expect(error.code == .bodyNotAllowed)
        }
        do {
            try other.writeEnd(trailers: [("X", "y")] as Fields, into: &out)
            Issue.record("trailers need chunked")
        } catch {
            #expect(error.code == .trailersNotAllowed)
        }
    }

    @Test func responseHeads() throws {
        var serializer = HTTP1ResponseSerializer()
        var out = ByteBuffer()
        serializer.writeContinue(into: &out)
        try serializer.writeInformational(status: 103, fields: [("Link", "</a>; rel=preload")] as Fields, into: &out)
        try serializer.writeHead(status: 200, fields: [("Content-Type", "text/plain")] as Fields, body: .known(2),
                                 into: &out)
        try serializer.writeBody(ByteBuffer(string: "ok"), into: &out)
        try serializer.writeEnd(into: &out)
        try serializer.writeHead(status: 204, body: .none, into: &out)
        try serializer.writeEnd(into: &out)
        try serializer.writeHead(status: 200, body: .known(10), headRequest: true, into: &out)
        try serializer.writeEnd(into: &out)
        try serializer.writeHead(status: 299, reason: "Custom", body: .none, into: &out)
        try serializer.writeEnd(into: &out)
        #expect(String(buffer: out) == "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                + "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
                + "HTTP/1.1 299 Custom\r\nContent-Length: 0\r\n\r\n")
        #expect(throws: HTTP1SerializationError.self) { try serializer.writeHead(status: 204, body: .known(1), into: &out) }
        #expect(throws: HTTP1SerializationError.self) { try serializer.writeHead(status: 100, body: .none, into: &out) }
        #expect(throws: HTTP1SerializationError.self) { try serializer.writeHead(status: 1000, body: .none, into: &out) }
        #expect(throws: HTTP1SerializationError.self) {
            try serializer.writeHead(status: 200, reason: "OK\r\nX: y", body: .none, into: &out)
        }
        #expect(throws: HTTP1SerializationError.self) {
            try serializer.writeInformational(status: 200, fields: Fields(), into: &out)
        }
    }

    /// Random requests through the request serializer and the server-role parser, at random splits.
    @Test func requestRoundTrip() throws {
        var generator = SplitMix64(seed: 42)
        for round in 0..<200 {
            var serializer = HTTP1RequestSerializer()
            var wire = ByteBuffer()
            var expected: [(target: String, fields: [[String]], body: [UInt8], trailers: [[String]]?)] = []
            for index in 0..<Int.random(in: 1...3, using: &generator) {
                let fields = (0..<Int.random(in: 0...6, using: &generator)).map { field in
                    ["X-F\(field)", String(repeating: "v", count: Int.random(in: 0...40, using: &generator))]
                }
                let body = (0..<Int.random(in: 0...300, using: &generator)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let chunked = Bool.random(using: &generator)
                let trailers: [[String]]? = chunked && Bool.random(using: &generator) ? [["X-Trailer", "\(round)"]] : nil
                let target = "/r\(round)/\(index)"
                try serializer.writeRequestHead(method: "POST", target: target, host: "example.com",
                                                fields: fields.map { (name: $0[0], value: $0[1]) },
                                                body: chunked ? .unknown : .known(body.count), into: &wire)
                var offset = 0
                while offset < body.count {
                    let part = min(body.count - offset, Int.random(in: 1...100, using: &generator))
                    try serializer.writeBody(ByteBuffer(bytes: body[offset..<offset + part]), into: &wire)
                    offset += part
                }
                try serializer.writeEnd(trailers: (trailers ?? []).map { (name: $0[0], value: $0[1]) }, into: &wire)
                expected.append((target, [["Host", "example.com"]] + fields
                                    + [chunked ? ["Transfer-Encoding", "chunked"] : ["Content-Length", "\(body.count)"]],
                                 body, trailers))
            }
            let bytes = Array(wire.readableBytesView)
            let splits = Set((0..<Int.random(in: 0...8, using: &generator)).map { _ in
                Int.random(in: 1..<bytes.count, using: &generator)
            }).sorted()
            let outcome = parseRequests(bytes, splits: splits)
            #expect(outcome.error == nil)
            #expect(outcome.messages.count == expected.count)
            for (message, want) in zip(outcome.messages, expected) {
                #expect(message.target == want.target && message.fields == want.fields && message.body == want.body)
                #expect(message.complete && message.trailers == want.trailers)
            }
        }
    }

    /// Random responses through the response serializer and the client-role parser.
    @Test func responseRoundTrip() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            var serializer = HTTP1ResponseSerializer()
            var wire = ByteBuffer()
            let status = [200, 201, 404, 500, 299].randomElement(using: &generator)!
            let body = (0..<Int.random(in: 0...500, using: &generator)).map { UInt8(truncatingIfNeeded: $0) }
            let chunked = Bool.random(using: &generator)
            if Bool.random(using: &generator) { serializer.writeContinue(into: &wire) }
            try serializer.writeHead(status: status, fields: [("Server", "courier-test")] as Fields,
                                     body: chunked ? .unknown : .known(body.count), into: &wire)
            try serializer.writeBody(ByteBuffer(bytes: body), into: &wire)
            try serializer.writeEnd(trailers: chunked ? [("X-Done", "1")] as Fields : [], into: &wire)
            let bytes = Array(wire.readableBytesView)
            let outcome = parseResponses(bytes, splits: [Int.random(in: 1..<bytes.count, using: &generator)])
            #expect(outcome.error == nil)
            let final = outcome.messages.last
            #expect(final?.status == status && final?.body == body && final?.complete == true)
            #expect(final?.trailers == (chunked ? [["X-Done", "1"]] : nil))
        }
    }
}
