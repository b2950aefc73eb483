import CourierCore
import CourierHTTP1
import Testing

/// The rules that block request smuggling and response splitting (RFC 9112 §2.2, §5, §6.3, §7.1;
/// `Tests/Fixtures/ATTACKS.md`), for responses and requests alike. Every input runs at every split.
@Suite struct StrictnessTests {
    static let prefix = "HTTP/1.1 200 OK\r\n"

    func response(_ rest: String, bareLF: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
        let bytes = Array((Self.prefix + rest).utf8)
        return expectSplitInvariant(bytes, rest.debugDescription, sourceLocation: sourceLocation) { splits in
            parseResponses(bytes, splits: splits, allowsBareLineFeed: bareLF)
        }
    }

    func request(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
        let bytes = Array(text.utf8)
        return expectSplitInvariant(bytes, text.debugDescription, sourceLocation: sourceLocation) { splits in
            parseRequests(bytes, splits: splits)
        }
    }

    @Test(arguments: [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1Error.Code.conflictingFraming),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .conflictingFraming),
        ("Content-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidContentLength),
        ("Content-Length: 5, 6\r\n\r\n", .invalidContentLength),
        ("Content-Length: 5,\r\n\r\n", .invalidContentLength),
        ("Content-Length: +5\r\n\r\n", .invalidContentLength),
        ("Content-Length: -5\r\n\r\n", .invalidContentLength),
        ("Content-Length: 0x5\r\n\r\n", .invalidContentLength),
        ("Content-Length: 5 5\r\n\r\n", .invalidContentLength),
        ("Content-Length: \r\n\r\n", .invalidContentLength),
        ("Content-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("Content-Length : 5\r\n\r\n", .invalidHeaderName),
        ("Content-Length\t: 5\r\n\r\n", .invalidHeaderName),
        (" Content-Length: 5\r\n\r\n", .obsoleteLineFolding),
        ("X-A: 1\r\n  folded\r\n\r\n", .obsoleteLineFolding),
        ("X-A: 1\r\n\tfolded\r\n\r\n", .obsoleteLineFolding),
        ("X-A: 1\nX-B: 2\r\n\r\n", .bareLineFeed),
        ("X-A: 1\r\n\n", .bareLineFeed),
        ("X-A: 1\rX-B: 2\r\n\r\n", .bareCarriageReturn),
        ("X-A: 1\r\n\rContent-Length: 5\r\n\r\n", .bareCarriageReturn),
        ("X-A: a\u{0}b\r\n\r\n", .invalidHeaderValue),
        ("X-A: a\u{7F}b\r\n\r\n", .invalidHeaderValue),
        ("X-A: a\u{1B}b\r\n\r\n", .invalidHeaderValue),
        (": empty name\r\n\r\n", .invalidHeaderName),
        ("X(A): 1\r\n\r\n", .invalidHeaderName),
        ("X@A: 1\r\n\r\n", .invalidHeaderName),
        ("X\"A: 1\r\n\r\n", .invalidHeaderName),
        ("NoColon\r\n\r\n", .invalidHeaderName),
        ("Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n5\t\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n8000000000000000\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n000000000000000000000000000000001\r\n", .invalidChunkSize),
        ("Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", .bareLineFeed),
        ("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", .bareLineFeed),
        ("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n", .bareCarriageReturn),
        ("Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", .invalidChunkTerminator),
        ("Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("Transfer-Encoding: chunked\r\n\r\n5;a=\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("Transfer-Encoding: chunked\r\n\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("Transfer-Encoding: chunked\r\n\r\n5;a=b c\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("Transfer-Encoding: chunked\r\n\r\n5;a\u{0}\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\nX-U: 2\r\n\r\n", .bareLineFeed),
        ("Transfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("Transfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: 1\r\n\r\n", .invalidHeaderName),
    ])
    func responseRejected(_ rest: String, _ code: HTTP1Error.Code) {
        let outcome = response(rest)
        #expect(outcome.error?.code == code, "\(rest.debugDescription) gave \(outcome)")
    }

    @Test(arguments: [
        "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "Content-Length: 5, 5\r\n\r\nhello",
        "Content-Length: 005\r\n\r\nhello",
        "Transfer-Encoding: chunked\r\n\r\n5 ;ext\r\nhello\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n5\t;\text\t=\tval\r\nhello\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n5;a=\"q\\\"uoted;\"\r\nhello\r\n0;last\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n00005\r\nhello\r\n000\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
        "X-Empty:\r\nX-Spaces:   \r\nContent-Length: 5\r\n\r\nhello",
        "X-Obs-Text: caf\u{E9}\r\nContent-Length: 5\r\n\r\nhello",
    ])
    func responseAccepted(_ rest: String) {
        let outcome = response(rest)
        #expect(outcome.error == nil, "\(rest.debugDescription) gave \(outcome)")
        #expect(outcome.messages.first?.body == Array("hello".utf8) && outcome.messages.first?.complete == true)
    }

    @Test func bareLineFeedsOnlyWithTheLeniency() {
        let rest = "Transfer-Encoding: chunked\n\n5\nhello\n0\nX-T: 1\n\n"
        #expect(response(rest).error?.code == .bareLineFeed)
        let lenient = response(rest, bareLF: true)
        #expect(lenient.error == nil && lenient.messages.first?.body == Array("hello".utf8))
        #expect(lenient.messages.first?.trailers == [["X-T", "1"]])
        // A bare CR stays an error even then.
        #expect(response("X-A: 1\rX-B: 2\n\n", bareLF: true).error?.code == .bareCarriageReturn)
    }

    @Test(arguments: [
        ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP1Error.Code.conflictingFraming),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", .invalidTransferEncoding),
        // The target ends at the first space, so what follows is read as the version.
        ("GET /a b HTTP/1.1\r\n\r\n", .invalidVersion),
        ("GET /caf\u{E9} HTTP/1.1\r\n\r\n", .invalidTarget),
        ("GET /\u{7F} HTTP/1.1\r\n\r\n", .invalidTarget),
        ("GET  / HTTP/1.1\r\n\r\n", .invalidTarget),
        ("G(T / HTTP/1.1\r\n\r\n", .invalidMethod),
        (" GET / HTTP/1.1\r\n\r\n", .invalidMethod),
        ("GET / HTTP/2.0\r\n\r\n", .invalidVersion),
        ("GET / HTTP/1.1 \r\n\r\n", .invalidVersion),
        ("GET / http/1.1\r\n\r\n", .invalidVersion),
        ("GET /\r\n\r\n", .invalidTarget),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", .bareLineFeed),
        ("\nGET / HTTP/1.1\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: a\r\n\rX", .bareCarriageReturn),
    ])
    func requestRejected(_ text: String, _ code: HTTP1Error.Code) {
        let outcome = request(text)
        #expect(outcome.error?.code == code, "\(text.debugDescription) gave \(outcome)")
    }
}
