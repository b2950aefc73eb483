#if canImport(Glibc)
import Glibc
#endif

/// `courier`: a curl-like HTTP client (`courier [options] URL`), a load generator (`courier bench`) and a
/// guided tour of the library against its in-process server (`courier demo`).
@main
enum CourierCommand {
    /// The version `--version` prints and the default `User-Agent` carries.
    static let version = "0.1.0"

    /// The top level's help: the commands, and the exit statuses.
    static let syntax = CommandLineSyntax(
        name: "courier",
        abstract: "An HTTP/1.1 and HTTP/2 client on Courier: fetch a URL, benchmark a server, or run the demo.",
        usage: "courier [<options>] <url>\ncourier bench [<options>] <url>\ncourier demo",
        discussion: """
            `courier URL` fetches a URL (the `fetch` subcommand is the default); see `courier fetch --help` for \
            its curl-compatible options and its exit statuses.

            \(ExitStatus.helpTable)
            """,
        positionals: [],
        optionGroups: [.init(title: "OPTIONS", options: [.flag("version", "Show the version.")])])

    /// The commands: name, grammar, and how it runs from what was parsed.
    private static let commands: [(name: String, syntax: CommandLineSyntax,
                                   run: @Sendable (CommandLineSyntax.Parsed) async throws -> Void)] = [
        ("fetch", FetchCommand.syntax, { try await FetchCommand($0).run() }),
        ("bench", BenchCommand.syntax, { try await BenchCommand($0).run() }),
        ("demo", DemoCommand.syntax, { try await DemoCommand($0).run() }),
    ]

    /// Parses and runs the command. Invalid usage exits with status 2 (`ExitStatus.usage`), a failed transfer
    /// with its category's status; a closed pipe on the output is an error to report (status 10), not a
    /// signal that kills the process.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        var arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "-h", "--help":
            print(rootHelp, terminator: "")
            return
        case "--version":
            print(version)
            return
        case "help":
            let name = arguments.dropFirst().first
            guard let command = commands.first(where: { $0.name == name }) else {
                print(rootHelp, terminator: "")
                return
            }
            print(command.syntax.help, terminator: "")
            return
        default: break
        }
        // `fetch` is the default command: `courier URL` is `courier fetch URL`.
        var command = commands[0]
        if let named = commands.first(where: { $0.name == arguments.first }) {
            command = named
            arguments.removeFirst()
        }
        do {
            let parsed = try command.syntax.parse(arguments)
            if parsed.helpRequested {
                print(command.syntax.help, terminator: "")
                return
            }
            try await command.run(parsed)
        } catch let error as UsageError {
            StandardError.write(command.syntax.usageErrorMessage(error))
            Glibc.exit(ExitStatus.usage.rawValue)
        } catch let status as ExitStatus {
            Glibc.exit(status.rawValue)
        } catch {
            StandardError.write("courier: error: \(error)\n")
            Glibc.exit(ExitStatus.failure.rawValue)
        }
    }

    /// `courier --help`.
    private static var rootHelp: String {
        var syntax = syntax
        syntax.commands = commands.map { ($0.name, $0.syntax.abstract) }
        return syntax.help + "\nSee 'courier help <command>' or 'courier <command> --help' for a command's options.\n"
    }
}

/// Unbuffered writes to standard error (messages, progress, the summary line).
enum StandardError {
    /// Writes `text` whole (retrying short writes); errors are ignored, there is nowhere to report them.
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let result = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += result
            }
        }
    }

    /// Whether standard error is a terminal (for the progress bar).
    static var isTerminal: Bool { isatty(2) == 1 }
}
