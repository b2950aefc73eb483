import CourierHTTP1
import Testing

/// `Tests/Fixtures/http1/llhttp-responses.json`: llhttp's response fixtures. Every valid case must parse
/// to the expected messages, every invalid case must be rejected, every case needing a leniency we do
/// not offer must be rejected, and every outcome must be the same for every split of the input.
@Suite struct LlhttpResponseConformanceTests {
    /// Cases where we deliberately differ from llhttp, with the reason; each is asserted with the
    /// outcome we expect instead.
    static let deviations: [String: (reason: String, expected: HTTP1Error.Code)] = [
        // RFC 9112 §2.3: HTTP-name is "HTTP". This is an HTTP client: RTSP and ICE responses are foreign.
        "RTSP response": ("not HTTP", .invalidStatusLine),
        "ICE response": ("not HTTP", .invalidStatusLine),
    ]

    /// llhttp modes whose leniency we offer: bare LF line ends (`allowsBareLineFeed`).
    static let bareLineFeedModes: Set<String> = ["response-lenient-optional-cr-before-lf", "response-lenient-all"]

    @Test func llhttpResponses() throws {
        let cases = try ConformanceFixtures.llhttp("http1/llhttp-responses.json")
        var tally = ConformanceTally("llhttp-responses.json")
        for fixture in cases {
            let method = fixture.skipBody ? "HEAD" : "GET"
            let strict = expectSplitInvariant(fixture.raw, fixture.name) { splits in
                parseResponses(fixture.raw, splits: splits, method: method, finish: fixture.finishAtEOF)
            }
            if let deviation = Self.deviations[fixture.name] {
                let passed = strict.error?.code == deviation.expected
                #expect(passed, "\(fixture.name): expected \(deviation.expected) (\(deviation.reason)), got \(strict)")
                tally.record("deliberate deviations", passed: passed)
                continue
            }
            if fixture.lenient {
                // A strict parser must reject every input that needs a leniency.
                let rejected = strict.error != nil
                #expect(rejected, "\(fixture.name) [\(fixture.mode)] must be rejected in strict mode, got \(strict)")
                if Self.bareLineFeedModes.contains(fixture.mode) {
                    let lenient = expectSplitInvariant(fixture.raw, fixture.name + " (bare LF allowed)") { splits in
                        parseResponses(fixture.raw, splits: splits, method: method, finish: fixture.finishAtEOF,
                                       allowsBareLineFeed: true)
                    }
                    let problems = compareResponses(fixture, lenient)
                    #expect(problems.isEmpty, "\(fixture.name) with allowsBareLineFeed: \(problems)")
                    tally.record("lenient cases we support: strict rejects", passed: rejected)
                    tally.record("lenient cases we support: lenient parses", passed: problems.isEmpty)
                } else {
                    tally.record("lenient cases we do not offer: rejected", passed: rejected)
                }
                continue
            }
            if let name = fixture.errorName, name != "HPE_PAUSED_UPGRADE" {
                let problems = compareResponses(fixture, strict)
                let allowed = llhttpErrorCodes[name] ?? []
                let kindMatches = strict.error.map { allowed.contains($0.code) } ?? false
                #expect(kindMatches, "\(fixture.name): llhttp says \(name), we say \(strict.error.map(\.description) ?? "nothing")")
                #expect(problems.isEmpty, "\(fixture.name): \(problems)")
                tally.record("invalid rejected", passed: kindMatches && problems.isEmpty)
            } else {
                var problems = compareResponses(fixture, strict)
                if strict.error != nil { problems.append("unexpected error \(strict.error!)") }
                if fixture.errorName == "HPE_PAUSED_UPGRADE", let offset = fixture.errorOffset {
                    if strict.upgraded != Array(fixture.raw[offset...]) { problems.append("upgraded bytes differ") }
                }
                // A body delimited by the close must end cleanly when the server closes.
                if !fixture.finishAtEOF, strict.error == nil, fixture.messages.last?.bodyUntilEOF == true,
                   fixture.messages.last?.headersComplete == true {
                    let finished = parseResponses(fixture.raw, method: method, finish: true)
                    if finished.error != nil || finished.messages.last?.complete != true {
                        problems.append("close did not end the body: \(finished)")
                    }
                }
                #expect(problems.isEmpty, "\(fixture.name): \(problems)")
                tally.record("valid parsed", passed: problems.isEmpty)
            }
        }
        print(tally.summary)
        #expect(tally.allPassed)
    }

    /// Compares our messages with llhttp's: each message whose head llhttp completed must match in
    /// status, reason, fields, body, completion and keep-alive.
    func compareResponses(_ fixture: ConformanceFixtures.LlhttpCase, _ outcome: ParseOutcome) -> [String] {
        let expected = fixture.messages.filter(\.headersComplete)
        guard expected.count == outcome.messages.count else {
            return ["\(expected.count) messages expected, got \(outcome.messages.count): \(outcome)"]
        }
        var problems: [String] = []
        for (want, got) in zip(expected, outcome.messages) {
            if want.status != got.status { problems.append("status \(got.status) != \(want.status ?? 0)") }
            if want.reason != got.reason { problems.append("reason \(got.reason.debugDescription)") }
            if ConformanceFixtures.trimmed(want.headers) != got.fields { problems.append("fields \(got.fields)") }
            if want.body != got.body { problems.append("body \(String(decoding: got.body, as: UTF8.self).debugDescription)") }
            // llhttp completes a 101 before pausing; we complete it with `.upgraded`.
            let upgradeCompletes = fixture.errorName == "HPE_PAUSED_UPGRADE"
            // `llhttp_finish` fires the completion of a close-delimited body, but the fixture's log was
            // taken before that callback; RFC 9112 §6.3 rule 8 says the close completes the message.
            let closeCompletes = fixture.finishAtEOF && want.bodyUntilEOF == true
            if (want.complete || closeCompletes) != got.complete && !(upgradeCompletes && got.complete) {
                problems.append("complete \(got.complete) != \(want.complete)")
            }
            if let keepAlive = want.keepAlive, !got.informational, keepAlive != got.keepAlive {
                problems.append("keepAlive \(got.keepAlive) != \(keepAlive)")
            }
        }
        return problems
    }
}

/// Which of our codes correspond to each llhttp error (several llhttp errors cover more than one rule).
let llhttpErrorCodes: [String: Set<HTTP1Error.Code>] = [
    "HPE_INVALID_CONSTANT": [.invalidStatusLine, .invalidVersion],
    "HPE_INVALID_VERSION": [.invalidVersion, .bareCarriageReturn],
    "HPE_CR_EXPECTED": [.bareLineFeed],
    "HPE_LF_EXPECTED": [.bareCarriageReturn],
    "HPE_STRICT": [.bareCarriageReturn, .bareLineFeed, .invalidChunkExtension, .invalidChunkTerminator],
    "HPE_INVALID_HEADER_TOKEN": [.invalidHeaderName, .bareCarriageReturn],
    "HPE_CLOSED_CONNECTION": [.unexpectedData],
    "HPE_INVALID_CHUNK_SIZE": [.invalidChunkSize, .bareLineFeed],
    "HPE_UNEXPECTED_SPACE": [.obsoleteLineFolding],
    "HPE_INVALID_STATUS": [.invalidStatusLine],
    "HPE_INVALID_CONTENT_LENGTH": [.invalidContentLength, .conflictingFraming],
    "HPE_UNEXPECTED_CONTENT_LENGTH": [.invalidContentLength],
    "HPE_INVALID_TRANSFER_ENCODING": [.invalidTransferEncoding, .conflictingFraming],
]
