import CourierHTTP1
import Testing

/// `Tests/Fixtures/http1/llhttp-requests-framing.json`: llhttp's request-side Transfer-Encoding,
/// Content-Length and Connection cases, run against our server-role parser with the same rules as the
/// response fixtures (valid parse, invalid rejected, lenient-only rejected, split invariant).
@Suite struct LlhttpRequestConformanceTests {
    static let deviations: [String: String] = [
        // llhttp's `skipBody` test option has no meaning for requests: a server never skips a request's
        // body (only a response to HEAD has none). We read the 123 declared bytes, so the second request
        // in the input is body of the first, which stays incomplete.
        "Content-Length reset when no body is received":
            "skipBody does not apply to requests",
    ]

    @Test func llhttpRequests() throws {
        let cases = try ConformanceFixtures.llhttp("http1/llhttp-requests-framing.json")
        var tally = ConformanceTally("llhttp-requests-framing.json")
        for fixture in cases {
            let outcome = expectSplitInvariant(fixture.raw, fixture.name) { splits in
                parseRequests(fixture.raw, splits: splits)
            }
            if let reason = Self.deviations[fixture.name] {
                let passed = outcome.error == nil && outcome.messages.count == 1
                    && outcome.messages[0].contentLength == 123 && !outcome.messages[0].complete
                    && outcome.messages[0].body.count == fixture.raw.count - headLength(fixture.raw)
                #expect(passed, "\(fixture.name): \(reason), got \(outcome)")
                tally.record("deliberate deviations", passed: passed)
                continue
            }
            if fixture.lenient {
                let rejected = outcome.error != nil
                #expect(rejected, "\(fixture.name) [\(fixture.mode)] must be rejected, got \(outcome)")
                tally.record("lenient cases we do not offer: rejected", passed: rejected)
                continue
            }
            var problems = compare(fixture, outcome)
            if let name = fixture.errorName, name != "HPE_PAUSED_UPGRADE" {
                let matches = outcome.error.map { (llhttpErrorCodes[name] ?? []).contains($0.code) } ?? false
                if !matches { problems.append("llhttp says \(name), we say \(outcome.error.map(\.description) ?? "nothing")") }
                #expect(problems.isEmpty, "\(fixture.name): \(problems)")
                tally.record("invalid rejected", passed: problems.isEmpty)
            } else {
                if let error = outcome.error { problems.append("unexpected error \(error)") }
                if fixture.errorName == "HPE_PAUSED_UPGRADE", let offset = fixture.errorOffset,
                   outcome.upgraded != Array(fixture.raw[offset...]) {
                    problems.append("upgrade bytes differ: \(outcome.upgraded ?? [])")
                }
                #expect(problems.isEmpty, "\(fixture.name): \(problems)")
                tally.record("valid parsed", passed: problems.isEmpty)
            }
        }
        print(tally.summary)
        #expect(tally.allPassed)
    }

    func compare(_ fixture: ConformanceFixtures.LlhttpCase, _ outcome: ParseOutcome) -> [String] {
        let expected = fixture.messages.filter(\.headersComplete)
        // llhttp reports a head and then rejects its framing; we reject the head itself, so for an
        // invalid case one message fewer is expected when the error comes with the last head.
        let headRejected = fixture.errorName != nil && fixture.errorName != "HPE_PAUSED_UPGRADE"
            && outcome.error != nil && outcome.messages.count == expected.count - 1
        guard expected.count == outcome.messages.count || headRejected else {
            return ["\(expected.count) messages expected, got \(outcome.messages.count): \(outcome)"]
        }
        var problems: [String] = []
        for (want, got) in zip(expected, outcome.messages) {
            if want.method != got.method { problems.append("method \(got.method)") }
            if want.url != got.target { problems.append("target \(got.target)") }
            if want.version != "\(got.version.major).\(got.version.minor)" { problems.append("version \(got.version)") }
            if ConformanceFixtures.trimmed(want.headers) != got.fields { problems.append("fields \(got.fields)") }
            if want.body != got.body { problems.append("body \(String(decoding: got.body, as: UTF8.self).debugDescription)") }
            if want.complete != got.complete { problems.append("complete \(got.complete)") }
            if let trailers = want.trailers, ConformanceFixtures.trimmed(trailers) != got.trailers ?? [] {
                problems.append("trailers \(got.trailers ?? [])")
            }
        }
        return problems
    }

    func headLength(_ raw: [UInt8]) -> Int {
        (0..<raw.count - 3).first { raw[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }! + 4
    }
}
