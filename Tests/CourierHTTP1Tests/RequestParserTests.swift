import CourierCore
import CourierHTTP1
import Testing

/// Server-role parser: request heads, bodies, keep-alive, Expect, upgrades and CONNECT.
@Suite struct RequestParserTests {
    func parse(_ text: String, finish: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
        let bytes = Array(text.utf8)
        return expectSplitInvariant(bytes, text.debugDescription, sourceLocation: sourceLocation) { splits in
            parseRequests(bytes, splits: splits, finish: finish)
        }
    }

    @Test func pipelinedRequestsWithEveryFraming() {
        let outcome = parse("GET /a?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc"
            + "\r\nPUT /c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\nX-Sum: 9\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.method) == ["GET", "POST", "PUT"])
        #expect(outcome.messages.map(\.target) == ["/a?x=1", "/b", "/c"])
        #expect(outcome.messages.map(\.framing) == [HTTP1Framing.none, .contentLength(3), .chunked])
        #expect(outcome.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["", "abc", "de"])
        #expect(outcome.messages[2].trailers == [["X-Sum", "9"]])
        #expect(outcome.messages.allSatisfy { $0.complete && $0.keepAlive })
    }

    @Test func expectContinueIsFlagged() {
        let outcome = parse("PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(outcome.messages.first?.expectsContinue == true)
        #expect(parse("PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").messages.first?.expectsContinue == false)
    }

    @Test func closingRequestsEndTheStream() {
        let close = parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        #expect(close.messages.count == 1 && close.messages[0].keepAlive == false)
        #expect(close.error?.code == .unexpectedData)
        let old = parse("GET / HTTP/1.0\r\n\r\n")
        #expect(old.messages.first?.keepAlive == false && old.messages.first?.version == .http1_0)
        #expect(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").messages.first?.keepAlive == true)
    }

    @Test func endOfInputBetweenAndInsideRequests() {
        let clean = parse("GET / HTTP/1.1\r\n\r\n", finish: true)
        #expect(clean.error == nil && clean.messages.count == 1)
        #expect(parse("GET / HTTP/1.1\r\nHo", finish: true).error?.code == .truncatedHead)
        #expect(parse("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", finish: true).error?.code == .truncatedBody)
        #expect(parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n").messages.count == 1)
    }

    @Test func upgradeRequestPausesUntilTheServerDecides() throws {
        var parser = HTTP1RequestParser()
        parser.append(ByteBuffer(string: "GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
            + "GET /next HTTP/1.1\r\n\r\n"))
        guard case .head(let head) = try parser.next(), case .end = try parser.next() else {
            Issue.record("expected head and end")
            return
        }
        #expect(head.isUpgradeRequest)
        #expect(try parser.next() == nil && parser.isPausedForUpgrade)
        // Declined: the next bytes are an ordinary request.
        parser.declineUpgrade()
        guard case .head(let next) = try parser.next() else {
            Issue.record("expected the next request")
            return
        }
        #expect(next.target == "/next" && !next.isUpgradeRequest)
    }

    @Test func connectOpensATunnelWhenAccepted() throws {
        var parser = HTTP1RequestParser()
        parser.append(ByteBuffer(string: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\u{16}\u{03}"))
        guard case .head(let head) = try parser.next(), case .end = try parser.next() else {
            Issue.record("expected head and end")
            return
        }
        #expect(head.method == "CONNECT" && head.target == "example.com:443" && head.framing == .none)
        #expect(try parser.next() == nil)
        #expect(Array(parser.acceptUpgrade().readableBytesView) == [0x16, 0x03])
        parser.append(ByteBuffer(string: "more"))
        #expect(try parser.next() == nil)
        #expect(String(buffer: parser.takeBufferedBytes()) == "more")
    }

    @Test func headAccessors() throws {
        var parser = HTTP1RequestParser()
        parser.append(ByteBuffer(string: "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.method == "OPTIONS" && Array(head.methodBytes) == Array("OPTIONS".utf8))
        #expect(head.target == "*" && Array(head.targetBytes) == [UInt8(ascii: "*")])
        #expect(head.fields["host"] == "h")
    }
}

extension String {
    init(buffer: ByteBuffer) { self = String(decoding: buffer.readableBytesView, as: UTF8.self) }
}
