/// Invalid usage: an unknown option, a bad value, a URL or header that cannot be sent, an unreadable input
/// file. The command prints the message with where to find the help and exits with status 2.
struct UsageError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the option.
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
