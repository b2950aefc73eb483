/// A command's grammar, curl style, and its help text. Options go by short name (`-o FILE`, `-oFILE`, flags
/// clustered as `-sfL`, the last of a cluster may take a value: `-sfo FILE`) or long name (`--output FILE`,
/// `--output=FILE`); a value is the next argument whatever it looks like (`-o -`, `-H -x`); `--` ends the
/// options; `-h`/`--help` asks for the help.
///
/// Written out rather than reflected from property wrappers: a reflecting parser spent 18 M instructions on
/// each start, two thirds of a whole small fetch, looking up protocol conformances in the static binary.
struct CommandLineSyntax: Sendable {
    /// An option: its names, whether it takes a value, and its line in the help.
    struct Option: Sendable {
        /// The one-letter name (`-o`), if any.
        let short: Character?
        /// The long name without dashes (`output`); options are looked up by it.
        let long: String
        /// The value's name in the help (`file`), or nil for a flag, which takes no value.
        let valueName: String?
        /// What the option does.
        let help: String

        /// A flag: present or not.
        static func flag(_ long: String, short: Character? = nil, _ help: String) -> Option {
            Option(short: short, long: long, valueName: nil, help: help)
        }

        /// An option with a value; given again, it adds a value (commands read the last, or all of them).
        static func value(_ long: String, short: Character? = nil, _ valueName: String, _ help: String) -> Option {
            Option(short: short, long: long, valueName: valueName, help: help)
        }

        /// `-o, --output <file>` as the help lists it.
        var label: String {
            let names = (short.map { "-\($0), " } ?? "") + "--" + long
            return valueName.map { names + " <\($0)>" } ?? names
        }
    }

    /// Options listed under one heading of the help.
    struct OptionGroup: Sendable {
        /// The heading, e.g. `OPTIONS`.
        let title: String
        /// Its options, in the order the help lists them.
        let options: [Option]
    }

    /// A positional argument, for the help.
    struct Positional: Sendable {
        /// Its name in the help (`url`).
        let name: String
        /// What it is.
        let help: String
    }

    /// What the arguments said.
    struct Parsed {
        /// The positional arguments, in order.
        fileprivate(set) var positionals: [String] = []
        /// Whether `-h` or `--help` was given (the rest is then not checked).
        fileprivate(set) var helpRequested = false
        /// The values given for each option (by long name), in order; a flag has one empty value per use.
        fileprivate var values: [String: [String]] = [:]
        /// The long names the syntax knows, so that a command reading a misspelt name traps in debug builds
        /// (every command reads all its options when it starts, which the tests do) instead of reading nothing.
        fileprivate var known: Set<String> = []

        /// Whether the flag `--long` was given.
        func flag(_ long: String) -> Bool { read(long) != nil }

        /// The last value given for `--long`.
        func string(_ long: String) -> String? { read(long)?.last }

        /// Every value given for `--long`, in order.
        func strings(_ long: String) -> [String] { read(long) ?? [] }

        private func read(_ long: String) -> [String]? {
            assert(known.contains(long), "no option --\(long)")
            return values[long]
        }

        /// The last value given for `--long`, as an integer.
        func int(_ long: String) throws(UsageError) -> Int? {
            guard let text = string(long) else { return nil }
            guard let value = Int(text) else { throw UsageError("--\(long): '\(text)' is not an integer") }
            return value
        }

        /// The last value given for `--long`, as a number.
        func double(_ long: String) throws(UsageError) -> Double? {
            guard let text = string(long) else { return nil }
            guard let value = Double(text) else { throw UsageError("--\(long): '\(text)' is not a number") }
            return value
        }
    }

    /// The command as typed, e.g. `courier bench`.
    let name: String
    /// One line saying what the command does.
    let abstract: String
    /// The usage line(s).
    let usage: String
    /// Paragraphs after the overview.
    let discussion: String
    /// The positional arguments the command takes, each exactly once.
    let positionals: [Positional]
    /// The options, by heading.
    let optionGroups: [OptionGroup]
    /// The commands below this one (name and what it does), for the top level's help.
    var commands: [(name: String, abstract: String)] = []
    /// Every option of every group, for lookups.
    private let options: [Option]

    init(name: String, abstract: String, usage: String, discussion: String, positionals: [Positional],
         optionGroups: [OptionGroup]) {
        self.name = name
        self.abstract = abstract
        self.usage = usage
        self.discussion = discussion
        self.positionals = positionals
        self.optionGroups = optionGroups
        options = optionGroups.flatMap(\.options)
        let shorts = options.compactMap(\.short) + ["h"]
        let longs = options.map(\.long) + ["help"]
        assert(Set(shorts).count == shorts.count && Set(longs).count == longs.count, "\(name): two options share a name")
    }

    /// Parses `arguments` (without the program and command names).
    func parse(_ arguments: some Sequence<String>) throws(UsageError) -> Parsed {
        var parsed = Parsed()
        parsed.known = Set(options.map(\.long))
        var iterator = arguments.makeIterator()
        var optionsEnded = false
        while let argument = iterator.next() {
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                parsed.positionals.append(argument)
            } else if argument == "--" {
                optionsEnded = true
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let equals = body.firstIndex(of: "=")
                let name = String(body[..<(equals ?? body.endIndex)])
                let attached = equals.map { String(body[body.index(after: $0)...]) }
                if name == "help" {
                    parsed.helpRequested = true
                    return parsed
                }
                guard let option = options.first(where: { $0.long == name }) else { throw UsageError("unknown option '--\(name)'") }
                if option.valueName == nil {
                    if attached != nil { throw UsageError("--\(name) takes no value") }
                    parsed.values[option.long, default: []].append("")
                } else {
                    guard let value = attached ?? iterator.next() else { throw UsageError("--\(name) needs a value") }
                    parsed.values[option.long, default: []].append(value)
                }
            } else {
                var letters = argument.dropFirst()[...]
                while let letter = letters.popFirst() {
                    if letter == "h" {
                        parsed.helpRequested = true
                        return parsed
                    }
                    guard let option = options.first(where: { $0.short == letter }) else { throw UsageError("unknown option '-\(letter)'") }
                    if option.valueName == nil {
                        parsed.values[option.long, default: []].append("")
                        continue
                    }
                    let value = letters.isEmpty ? iterator.next() : String(letters)
                    guard let value else { throw UsageError("-\(letter) needs a value") }
                    parsed.values[option.long, default: []].append(value)
                    break
                }
            }
        }
        if parsed.positionals.count < positionals.count {
            throw UsageError("missing <\(positionals[parsed.positionals.count].name)>")
        }
        if parsed.positionals.count > positionals.count {
            throw UsageError("unexpected argument '\(parsed.positionals[positionals.count])'")
        }
        return parsed
    }

    /// The text `--help` prints: overview, usage, arguments, options, then the discussion.
    var help: String {
        var text = Self.wrap("OVERVIEW: " + abstract, indent: 0) + "\n\n"
        text += "USAGE: " + usage.split(separator: "\n").joined(separator: "\n       ") + "\n"
        if !commands.isEmpty {
            text += "\nCOMMANDS:\n" + commands.map { Self.entry($0.name, $0.abstract) }.joined()
        }
        if !positionals.isEmpty {
            text += "\nARGUMENTS:\n" + positionals.map { Self.entry("<\($0.name)>", $0.help) }.joined()
        }
        for (index, group) in optionGroups.enumerated() {
            text += "\n\(group.title):\n" + group.options.map { Self.entry($0.label, $0.help) }.joined()
            if index == 0 { text += Self.entry("-h, --help", "Show this help.") }
        }
        if !discussion.isEmpty { text += "\n" + Self.wrap(discussion, indent: 0) + "\n" }
        return text
    }

    /// The message for a usage error, with where to find the help.
    func usageErrorMessage(_ error: UsageError) -> String {
        "Error: \(error.message)\nUsage: \(usage.split(separator: "\n").first ?? "")\n  See '\(name) --help' for more information.\n"
    }

    private static let width = 80
    private static let labelColumn = 26

    /// One help entry: the label, then the text from column 26 (on the next line when the label is longer).
    private static func entry(_ label: String, _ help: String) -> String {
        let lead = "  " + label
        let padding = String(repeating: " ", count: labelColumn)
        let body = String(wrap(help, indent: labelColumn).dropFirst(labelColumn))
        if lead.count <= labelColumn - 2 {
            return lead + String(repeating: " ", count: labelColumn - lead.count) + body + "\n"
        }
        return lead + "\n" + padding + body + "\n"
    }

    /// Wraps each line of `text` at `width` columns, breaking at spaces, indenting every line by `indent`
    /// spaces; a line's own leading spaces are repeated on its continuation lines, and spacing inside a line is
    /// kept (the exit status table aligns with it).
    static func wrap(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.allSatisfy({ $0 == " " }) { return "" }
            let hanging = margin + String(repeating: " ", count: line.prefix(while: { $0 == " " }).count)
            var lines: [String] = []
            var prefix = margin
            var rest = line
            while prefix.count + rest.count > width {
                let fits = rest.prefix(width - prefix.count + 1)
                let textStart = fits.firstIndex(where: { $0 != " " }) ?? fits.endIndex
                guard let space = fits[textStart...].lastIndex(of: " ") else { break }
                lines.append(prefix + rest[..<space])
                rest = rest[space...].drop(while: { $0 == " " })
                prefix = hanging
            }
            lines.append(prefix + rest)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
