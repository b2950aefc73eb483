import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `courier`: a curl-like HTTP client (`courier [options] URL`), a load generator (`courier bench`) and a
/// guided tour of the library against its in-process server (`courier demo`).
@main
struct CourierCommand: AsyncParsableCommand {
    /// The version `--version` prints and the default `User-Agent` carries.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "courier",
        abstract: "An HTTP/1.1 and HTTP/2 client on Courier: fetch a URL, benchmark a server, or run the demo.",
        usage: "courier [<options>] <url>\ncourier bench [<options>] <url>\ncourier demo",
        discussion: """
            `courier URL` fetches a URL (the `fetch` subcommand is the default); see `courier fetch --help` for \
            its curl-compatible options and its exit statuses.

            \(ExitStatus.helpTable)
            """,
        version: version,
        subcommands: [FetchCommand.self, BenchCommand.self, DemoCommand.self],
        defaultSubcommand: FetchCommand.self)

    /// Parses and runs like ArgumentParser's own `main`, except that invalid usage exits with status 2
    /// (`ExitStatus.usage`) rather than EX_USAGE, so that every status has one meaning in our table; and a
    /// closed pipe on the output is an error to report (status 10), not a signal that kills the process.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try await asyncParseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error).rawValue == ExitCode.validationFailure.rawValue {
                StandardError.write(fullMessage(for: error) + "\n")
                Glibc.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
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
