import CourierCore
import CourierHTTP1
import Testing

/// Response parser behaviour beyond the fixtures: framing per RFC 9112 §6.3, keep-alive, 1xx, tunnels,
/// end of input, sequential responses. Every input runs at every split.
@Suite struct ResponseParserTests {
    func parse(_ text: String, method: String = "GET", finish: Bool = false, bareLF: Bool = false,
               limits: HTTP1Limits = HTTP1Limits(), sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
        let bytes = Array(text.utf8)
        return expectSplitInvariant(bytes, text.debugDescription, sourceLocation: sourceLocation) { splits in
            parseResponses(bytes, splits: splits, method: method, finish: finish, allowsBareLineFeed: bareLF,
                           limits: limits)
        }
    }

    @Test func contentLengthBody() {
        let outcome = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        #expect(outcome.error == nil)
        #expect(outcome.messages.count == 1)
        let message = outcome.messages[0]
        #expect(message.status == 200 && message.reason == "OK" && message.version == .http1_1)
        #expect(message.framing == .contentLength(5) && message.keepAlive && message.complete)
        #expect(message.body == Array("hello".utf8))
        #expect(message.fields == [["Content-Length", "5"], ["Content-Type", "text/plain"]])
    }

    @Test func sequentialKeepAliveResponsesOnOneParser() {
        let outcome = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabHTTP/1.1 201 Created\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n3\r\ncde\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.status) == [200, 201, 204])
        #expect(outcome.messages.map { String(decoding: $0.body, as: UTF8.self) } == ["ab", "cde", ""])
        #expect(outcome.messages.allSatisfy { $0.complete && $0.keepAlive })
    }

    @Test func noBodyForHeadAnd204And304() {
        let head = parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", method: "HEAD")
        #expect(head.messages.first?.framing == HTTP1Framing.none)
        #expect(head.messages.first?.contentLength == 1000 && head.messages.first?.complete == true)
        let chunkedHead = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", method: "HEAD")
        #expect(chunkedHead.messages.first?.complete == true && chunkedHead.error == nil)
        // RFC 9112 §6.3 rule 1 precedes rule 3: with no body, Transfer-Encoding and Content-Length together
        // delimit nothing and are not a conflict; with a body they are.
        let bodiless = parse("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
        #expect(bodiless.error == nil && bodiless.messages.first?.complete == true)
        let tunnel = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", method: "CONNECT")
        #expect(tunnel.error == nil && tunnel.messages.first?.framing == .tunnel)
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n").error?.code
                == .conflictingFraming)
        for status in [204, 304] {
            let outcome = parse("HTTP/1.1 \(status) X\r\nContent-Length: 7\r\n\r\n")
            #expect(outcome.messages.first?.framing == HTTP1Framing.none)
            #expect(outcome.messages.first?.complete == true && outcome.messages.first?.keepAlive == true)
        }
    }

    @Test func informationalResponsesPrecedeTheFinalOne() {
        let outcome = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
        #expect(outcome.error == nil)
        #expect(outcome.messages.map(\.status) == [100, 103, 102, 200])
        #expect(outcome.messages.map(\.informational) == [true, true, true, false])
        #expect(outcome.messages[1].fields == [["Link", "</a.css>; rel=preload"]])
        #expect(outcome.messages[3].body == [UInt8(ascii: "x")] && outcome.messages[3].complete)
    }

    @Test func switchingProtocolsHandsOverTheRest() {
        let outcome = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            + "\u{81}\u{05}hello")
        #expect(outcome.error == nil)
        #expect(outcome.messages.first?.framing == .tunnel)
        #expect(outcome.upgraded == Array("\u{81}\u{05}hello".utf8))
    }

    @Test func connectTunnelOnlyOn2xx() {
        let tunnel = parse("HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{03}\u{01}", method: "CONNECT")
        #expect(tunnel.messages.first?.framing == .tunnel)
        #expect(tunnel.upgraded == [0x16, 0x03, 0x01])
        let refused = parse("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nno",
                            method: "CONNECT")
        #expect(refused.upgraded == nil && refused.messages.first?.body == Array("no".utf8))
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let outcome = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;name=value;flag\r\nWiki\r\n5 ;q=\"a;b\\\"c\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
            + "0\r\nExpires: never\r\nServer-Timing: total;dur=12\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(String(decoding: outcome.messages[0].body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        #expect(outcome.messages[0].trailers == [["Expires", "never"], ["Server-Timing", "total;dur=12"]])
        #expect(outcome.messages[0].complete && outcome.messages[0].keepAlive)
    }

    @Test func transferCodingsDecideTheFraming() {
        let gzipChunked = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n")
        #expect(gzipChunked.messages.first?.framing == .chunked && gzipChunked.messages.first?.complete == true)
        let twoLines = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n")
        #expect(twoLines.messages.first?.framing == .chunked)
        // RFC 9112 §6.3 rule 4: chunked not last in a response means read until the close.
        let notLast = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz", finish: true)
        #expect(notLast.messages.first?.framing == .untilClose && notLast.messages.first?.body == Array("xyz".utf8))
        #expect(notLast.messages.first?.keepAlive == false)
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n").error?.code
                == .invalidTransferEncoding)
        // §6.1: Transfer-Encoding in an HTTP/1.0 message: decode, then close.
        let old = parse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n")
        #expect(old.messages.first?.framing == .chunked && old.messages.first?.keepAlive == false)
    }

    @Test func keepAliveDecisions() {
        let cases: [(String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\n\r\n", false),
            ("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nProxy-Connection: keep-alive\r\nContent-Length: 0\r\n\r\n", false),
        ]
        for (text, keepAlive) in cases {
            #expect(parse(text).messages.first?.keepAlive == keepAlive, "\(text.debugDescription)")
        }
    }

    @Test func endOfInput() {
        let closeDelimited = parse("HTTP/1.1 200 OK\r\n\r\nsome bytes", finish: true)
        #expect(closeDelimited.messages.first?.complete == true && closeDelimited.error == nil)
        #expect(closeDelimited.messages.first?.body == Array("some bytes".utf8))
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", finish: true).error?.code == .truncatedBody)
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", finish: true).error?.code
                == .truncatedBody)
        #expect(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", finish: true).error?.code
                == .truncatedBody)
        #expect(parse("HTTP/1.1 200 OK\r\nContent-Le", finish: true).error?.code == .truncatedHead)
        #expect(parse("", finish: true).error?.code == .closedBeforeResponse)
        // A complete keep-alive response followed by the close is not an error.
        let clean = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", finish: true)
        #expect(clean.error == nil && clean.messages.first?.complete == true)
    }

    @Test func bytesAfterAClosingResponseAreAnError() {
        let outcome = parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nxy")
        #expect(outcome.messages.first?.complete == true)
        #expect(outcome.error?.code == .unexpectedData && outcome.error?.offset == 58)
    }

    @Test func unrequestedBytesStayBufferedForTheDriver() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toMethod: "GET")
        parser.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\r\n\r\nHTTP/1.1 200 OK\r\n"))
        guard case .head = try parser.next(), case .end = try parser.next() else {
            Issue.record("expected head and end")
            return
        }
        #expect(try parser.next() == nil)
        #expect(parser.isIdle && parser.hasUnsolicitedBytes)
        #expect(parser.bufferedByteCount == 17) // the empty lines were skipped, the stray status line was not

        var quiet = HTTP1ResponseParser()
        quiet.expectResponse(toMethod: "GET")
        quiet.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n\r"))
        while try quiet.next() != nil {}
        #expect(!quiet.hasUnsolicitedBytes) // a lone CR may still become an empty line
        quiet.append(ByteBuffer(string: "\n"))
        #expect(try quiet.next() == nil)
        #expect(!quiet.hasUnsolicitedBytes && quiet.bufferedByteCount == 0)
    }

    @Test func statusLineVariants() {
        #expect(parse("HTTP/1.1 600 Custom\r\nContent-Length: 0\r\n\r\n").messages.first?.status == 600)
        #expect(parse("HTTP/1.1 099 Low\r\n\r\n").error?.code == .invalidStatusLine)
        #expect(parse("HTTP/2.0 200 OK\r\n\r\n").error?.code == .invalidVersion)
        #expect(parse("http/1.1 200 OK\r\n\r\n").error?.code == .invalidStatusLine)
        #expect(parse("HTTP/1.1 200 OK\u{0}\r\n\r\n").error?.code == .invalidStatusLine)
        #expect(parse("HTTP/1.1 20a OK\r\n\r\n").error?.code == .invalidStatusLine)
        #expect(parse("HTTP/1.1 2000 OK\r\n\r\n").error?.code == .invalidStatusLine)
        #expect(parse("HTTP/1.1 200 OK\r\n\r\n").messages.first?.reason == "OK")
        #expect(parse("HTTP/1.1 200 Tab\there\r\nContent-Length: 0\r\n\r\n").messages.first?.reason == "Tab\there")
    }

    @Test func errorsAreSticky() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toMethod: "GET")
        parser.append(ByteBuffer(string: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n"))
        var first: HTTP1Error?
        do { _ = try parser.next() } catch { first = error }
        #expect(first?.code == .invalidHeaderName)
        parser.append(ByteBuffer(string: "more"))
        #expect(throws: first!) { try parser.next() }
    }

    @Test func nothingIsRetainedAfterTheEnd() throws {
        func address(_ buffer: ByteBuffer) -> UInt {
            buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        }
        var parser = HTTP1ResponseParser()
        var readBuffer = ByteBuffer(capacity: 4096)
        for round in 0..<3 {
            parser.expectResponse(toMethod: "GET")
            readBuffer.clear()
            readBuffer.writeString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: \(round)\r\n\r\n")
            let storage = address(readBuffer)
            parser.append(readBuffer)
            var events = 0
            while let event = try parser.next() {
                events += 1
                if case .end = event { break }
            }
            #expect(events == 3)
            // The parser and the dropped events hold no reference: clearing reuses the same storage.
            readBuffer.clear()
            readBuffer.writeString("x")
            #expect(address(readBuffer) == storage)
        }
    }

    @Test func bodyIsAViewOfTheAppendedBytes() throws {
        var parser = HTTP1ResponseParser()
        parser.expectResponse(toMethod: "GET")
        let input = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody")
        parser.append(input)
        guard case .head(let head) = try parser.next(), case .body(let body) = try parser.next() else {
            Issue.record("expected head and body")
            return
        }
        let inputStart = input.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let bodyStart = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let fieldStart = head.fields[0].valueBytes.withContiguousStorageIfAvailable { UInt(bitPattern: $0.baseAddress) }
        #expect(bodyStart == inputStart + 38)
        #expect(fieldStart == inputStart + 33)
    }
}
