import CourierHTTP1
import Testing

/// `Tests/Fixtures/http1/http-parser-responses.json`: the response table of nodejs/http-parser's test.c,
/// fed whole and then closed. Where http-parser (older, more lenient) disagrees with llhttp, llhttp and
/// RFC 9112 decide; those cases are listed in `deviations` and asserted with our outcome.
@Suite struct HttpParserConformanceTests {
    enum Deviation {
        /// We reject the input with this code.
        case rejected(HTTP1Error.Code)
        /// We parse it, but the bytes after the head of a 101 all belong to the new protocol.
        case upgradeWithoutBody
    }

    static let deviations: [String: (reason: String, outcome: Deviation)] = [
        // RFC 9112 §7.1: chunk-size is 1*HEXDIG, and whitespace is only allowed before ';' (BWS).
        // http-parser accepts "25  \r\n"; llhttp rejects it with HPE_INVALID_CHUNK_SIZE, and so do we.
        "200 trailing space on chunked body": ("whitespace after chunk size", .rejected(.invalidChunkSize)),
        // RFC 9112 §5.1: no whitespace inside a field name. Only non-strict http-parser builds accept it.
        "field space": ("space in field name", .rejected(.invalidHeaderName)),
        // RFC 9112 §6.3 rule 1: a 1xx response ends with its head, whatever Content-Length or
        // Transfer-Encoding say, so everything after the head of a 101 belongs to the new protocol.
        // http-parser reads a body first; llhttp pauses right after the head, as we do.
        "HTTP 101 response with Upgrade and Content-Length header": ("101 has no body", .upgradeWithoutBody),
        "HTTP 101 response with Upgrade and Transfer-Encoding header": ("101 has no body", .upgradeWithoutBody),
    ]

    @Test func httpParserResponses() throws {
        let (cases, errors) = try ConformanceFixtures.httpParser()
        var tally = ConformanceTally("http-parser-responses.json")
        for fixture in cases {
            let strict = expectSplitInvariant(fixture.raw, fixture.name) { splits in
                parseResponses(fixture.raw, splits: splits, finish: true)
            }
            if let deviation = Self.deviations[fixture.name] {
                let passed: Bool
                switch deviation.outcome {
                case .rejected(let code):
                    passed = strict.error?.code == code
                case .upgradeWithoutBody:
                    let head = strict.messages.first
                    let headLength = fixture.raw.count - (fixture.raw.split(separator: 0x0A, omittingEmptySubsequences: false)
                        .last?.count ?? 0)
                    passed = strict.error == nil && head?.status == 101 && head?.body == []
                        && strict.upgraded.map { !$0.isEmpty && fixture.raw.count - $0.count <= headLength } == true
                        && head?.fields == ConformanceFixtures.trimmed(fixture.headers)
                }
                #expect(passed, "\(fixture.name): \(deviation.reason), got \(strict)")
                tally.record("deliberate deviations", passed: passed)
                continue
            }
            if fixture.name == "no carriage ret" {
                // Bare LF line ends: rejected by default, accepted with the documented leniency.
                let rejected = strict.error?.code == .bareLineFeed
                let lenient = expectSplitInvariant(fixture.raw, fixture.name + " (bare LF allowed)") { splits in
                    parseResponses(fixture.raw, splits: splits, finish: true, allowsBareLineFeed: true)
                }
                let problems = compare(fixture, lenient)
                #expect(rejected, "\(fixture.name) must be rejected by default: \(strict)")
                #expect(problems.isEmpty, "\(fixture.name) with allowsBareLineFeed: \(problems)")
                tally.record("lenient (bare LF) strict rejects", passed: rejected)
                tally.record("lenient (bare LF) lenient parses", passed: problems.isEmpty)
                continue
            }
            var problems = compare(fixture, strict)
            if fixture.completeOnEOF {
                // Without the close, the message must still be waiting for it.
                let open = parseResponses(fixture.raw)
                if open.messages.first?.complete != false { problems.append("completed before the close") }
            }
            #expect(problems.isEmpty, "\(fixture.name): \(problems)")
            tally.record("valid parsed", passed: problems.isEmpty)
        }
        for error in errors {
            let outcome = expectSplitInvariant(error.raw, error.name) { splits in
                parseResponses(error.raw, splits: splits, finish: true)
            }
            // http-parser's HPE_INVALID_VERSION also covers a wrong protocol name ("HTP/1.1").
            var allowed = llhttpErrorCodes[error.error] ?? []
            if error.error == "HPE_INVALID_VERSION" { allowed.insert(.invalidStatusLine) }
            let matches = outcome.error.map { allowed.contains($0.code) } ?? false
            #expect(matches, "\(error.name) \(error.raw): http-parser says \(error.error), we say \(outcome)")
            tally.record("invalid rejected", passed: matches)
        }
        print(tally.summary)
        #expect(tally.allPassed)
    }

    func compare(_ fixture: ConformanceFixtures.HttpParserCase, _ outcome: ParseOutcome) -> [String] {
        guard outcome.error == nil else { return ["unexpected error \(outcome.error!)"] }
        guard outcome.messages.count == 1, let message = outcome.messages.first else {
            return ["expected one message, got \(outcome)"]
        }
        var problems: [String] = []
        if message.version != HTTP1Version(major: fixture.versionMajor, minor: fixture.versionMinor) {
            problems.append("version \(message.version)")
        }
        if message.status != fixture.status { problems.append("status \(message.status)") }
        if message.reason != fixture.reason { problems.append("reason \(message.reason)") }
        if message.fields != ConformanceFixtures.trimmed(fixture.headers) { problems.append("fields \(message.fields)") }
        if let body = fixture.body, body != message.body { problems.append("body \(message.body.count) bytes") }
        if message.keepAlive != fixture.keepAlive { problems.append("keepAlive \(message.keepAlive)") }
        if !message.complete { problems.append("not complete") }
        if outcome.upgraded != fixture.upgrade {
            problems.append("upgraded \(outcome.upgraded.map { String(decoding: $0, as: UTF8.self) } ?? "nil")")
        }
        return problems
    }
}
