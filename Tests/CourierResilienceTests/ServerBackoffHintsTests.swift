import Testing
import Courier
@testable import CourierResilience

@Suite struct ServerBackoffHintsTests {
    // 1994-11-06 08:49:37 UTC
    let rfcExample: Int64 = 784_111_777

    @Test func theThreeHTTPDateFormsParse() {
        let now = 1_800_000_000.0
        #expect(HTTPDate.unixTime("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == rfcExample)
        #expect(HTTPDate.unixTime("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == rfcExample)
        #expect(HTTPDate.unixTime("Sun Nov  6 08:49:37 1994", now: now) == rfcExample)
        #expect(HTTPDate.unixTime("Thu, 01 Jan 1970 00:00:00 GMT", now: now) == 0)
        #expect(HTTPDate.unixTime("Tue, 29 Feb 2028 23:59:59 GMT", now: now) == 1_835_481_599)
    }

    @Test func twoDigitYearsMoreThanFiftyYearsAheadAreInThePastCentury() {
        // Now is in 2027: "30" is 2030, "94" is 1994 (2094 would be 67 years ahead).
        let now = 1_800_000_000.0
        #expect(HTTPDate.unixTime("Wednesday, 06-Nov-30 00:00:00 GMT", now: now) == HTTPDate.daysFromCivil(year: 2030, month: 11, day: 6) * 86_400)
        #expect(HTTPDate.civilYear(unixTime: 1_800_000_000) == 2027)
        #expect(HTTPDate.civilYear(unixTime: 0) == 1970)
        #expect(HTTPDate.civilYear(unixTime: -1) == 1969)
    }

    @Test func malformedDatesAreRejected() {
        for text in ["", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                     "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT", "06 Nov 1994 08:49:37 GMT",
                     "Sun, 06 Nov 19940 08:49:37 GMT", "Sun Nov 6 08:49:37 94", "soon"] {
            #expect(HTTPDate.unixTime(text[...], now: 1_800_000_000) == nil, "\(text)")
        }
    }

    @Test func retryAfterInSecondsOrAsADate() {
        let now = 1_800_000_000.0
        var fields = HTTPFields()
        fields[.retryAfter] = "120"
        #expect(ServerBackoffHints(fields: fields, unixTime: now).retryAfter == .seconds(120))
        fields[.retryAfter] = "Fri, 15 Jan 2027 08:00:30 GMT"
        let date = HTTPDate.unixTime("Fri, 15 Jan 2027 08:00:30 GMT", now: now)!
        #expect(ServerBackoffHints(fields: fields, unixTime: Double(date) - 42.5).retryAfter == .milliseconds(42_500))
        // A date in the past means now; garbage and negative numbers mean nothing.
        #expect(ServerBackoffHints(fields: fields, unixTime: Double(date) + 10).retryAfter == .zero)
        for bad in ["-5", "1.5", "soon", "", "99999999999999999999"] {
            fields[.retryAfter] = bad
            #expect(ServerBackoffHints(fields: fields, unixTime: now).retryAfter == nil, "\(bad)")
        }
    }

    @Test func rateLimitFieldsInTheirVariousSpellings() {
        let now = 1_800_000_000.0
        var fields = HTTPFields()
        fields[HTTPField.Name("RateLimit-Limit")!] = "100"
        fields[HTTPField.Name("RateLimit-Remaining")!] = "0"
        fields[HTTPField.Name("RateLimit-Reset")!] = "30"
        let draft = ServerBackoffHints(fields: fields, unixTime: now)
        #expect(draft == ServerBackoffHints(retryAfter: nil, reset: .seconds(30), remaining: 0, limit: 100))

        var github = HTTPFields()
        github[HTTPField.Name("X-RateLimit-Remaining")!] = "12"
        github[HTTPField.Name("X-RateLimit-Reset")!] = "1800000045"
        let epoch = ServerBackoffHints(fields: github, unixTime: now)
        #expect(epoch.reset == .seconds(45) && epoch.remaining == 12)

        var structured = HTTPFields()
        structured[HTTPField.Name("RateLimit")!] = "\"default\";r=0;t=17"
        #expect(ServerBackoffHints(fields: structured, unixTime: now) == ServerBackoffHints(reset: .seconds(17), remaining: 0))
        structured[HTTPField.Name("RateLimit")!] = "limit=10, remaining=3, reset=4"
        #expect(ServerBackoffHints(fields: structured, unixTime: now) == ServerBackoffHints(reset: .seconds(4), remaining: 3))
        #expect(ServerBackoffHints(fields: HTTPFields(), unixTime: now).isEmpty)
    }

    @Test func theRequestedDelayPrefersRetryAfterThenAResetOnA429() {
        let hints = ServerBackoffHints(retryAfter: .seconds(3), reset: .seconds(9), remaining: 5)
        #expect(hints.requestedDelay(status: .serviceUnavailable) == .seconds(3))
        let reset = ServerBackoffHints(reset: .seconds(9), remaining: 5)
        #expect(reset.requestedDelay(status: .tooManyRequests) == .seconds(9))
        #expect(reset.requestedDelay(status: .serviceUnavailable) == nil)
        #expect(ServerBackoffHints(reset: .seconds(9), remaining: 0).requestedDelay(status: .ok) == .seconds(9))
    }
}
