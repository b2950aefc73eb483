import ArgumentParser

/// `courier demo`: a scripted tour of the client against the in-process test server.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the in-process test server and tour the client's features against it.")

    func run() async throws {
        throw ValidationError("the demo needs the in-process test server")
    }
}
