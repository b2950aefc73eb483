/// Parses HTTP-dates (RFC 9110 §5.6.7) into seconds since the Unix epoch, for `Retry-After`.
///
/// Accepts the preferred IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and, as the RFC asks of recipients,
/// the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms.
/// Anything else is nil: a value we cannot read is ignored rather than guessed.
enum HTTPDate {
    /// The Unix time `text` denotes, or nil if it is not an HTTP-date. `now` (Unix seconds) resolves the
    /// two-digit years of RFC 850 dates: one more than 50 years ahead is taken from the previous century.
    static func unixTime(_ text: Substring, now: Double) -> Int64? {
        var tokens: [Substring] = []
        tokens.reserveCapacity(6)
        var start: Substring.Index?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == " " || character == "," || character == "-" || character == "\t" {
                if let begin = start { tokens.append(text[begin..<index]); start = nil }
            } else if start == nil {
                start = index
            }
            index = text.index(after: index)
        }
        if let begin = start { tokens.append(text[begin...]) }
        guard tokens.count >= 5, weekdays.contains(where: { tokens[0].lowercased().hasPrefix($0) }) else { return nil }

        let day: Int, monthToken: Substring, year: Int, time: Substring
        if let numericDay = Int(tokens[1]) {
            // IMF-fixdate or RFC 850: day month year time GMT.
            guard tokens.count == 6, tokens[5] == "GMT", let parsedYear = Int(tokens[3]) else { return nil }
            day = numericDay
            monthToken = tokens[2]
            time = tokens[4]
            switch tokens[3].count {
            case 4: year = parsedYear
            case 2: year = Self.expandTwoDigitYear(parsedYear, now: now)
            default: return nil
            }
        } else {
            // asctime: month day time year.
            guard tokens.count == 5, let numericDay = Int(tokens[2]), let parsedYear = Int(tokens[4]),
                  tokens[4].count == 4 else { return nil }
            day = numericDay
            monthToken = tokens[1]
            time = tokens[3]
            year = parsedYear
        }
        guard let monthIndex = months.firstIndex(where: { $0 == monthToken.lowercased() }) else { return nil }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func expandTwoDigitYear(_ twoDigits: Int, now: Double) -> Int {
        let currentYear = civilYear(unixTime: Int64(now))
        var year = currentYear - currentYear % 100 + twoDigits
        if year > currentYear + 50 { year -= 100 }
        return year
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The Gregorian year of a Unix time (Hinnant's `civil_from_days`, year part).
    static func civilYear(unixTime: Int64) -> Int {
        let z = (unixTime >= 0 ? unixTime / 86_400 : (unixTime - 86_399) / 86_400) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
    }
}
