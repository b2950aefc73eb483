import CourierTestServer
import CourierTestSupport
import Foundation
import Testing

/// The command-line grammar, curl style: clustered flags, values attached or separate, `--name=value`, `--`,
/// repeated options, the help of each command, and usage errors that name the option and exit with 2.
@Suite(.enabled(if: CLI.isBuilt)) struct CommandLineTests {
    @Test func valuesAttachedClusteredOrAfterTheOption() async throws {
        try await withServer { server in try await checkSpellings(server) }
    }

    func checkSpellings(_ server: TestServer) async throws {
        let scratch = try TemporaryDirectory()
        let spellings: [[String]] = [
            ["-sfo", scratch.path + "/a", "-d", "x=1", server.url("/echo")],
            ["-sfo" + scratch.path + "/b", "-dx=1", server.url("/echo")],
            ["--silent", "--output=" + scratch.path + "/c", "--data=x=1", "--", server.url("/echo")],
            ["--output", scratch.path + "/ignored", "-o", scratch.path + "/d", "--data", "x=1", server.url("/echo")],
        ]
        for (index, arguments) in spellings.enumerated() {
            let result = try await CLI.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.errors)")
            let path = scratch.path + "/" + ["a", "b", "c", "d"][index]
            #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "x=1", "\(arguments)")
        }
        // A value is the next argument whatever it looks like: -o - is standard output, and -d pieces repeat.
        let repeated = try await CLI.run(["-o", "-", "-d", "-a", "-d", "b", server.url("/echo")])
        #expect(repeated.status == 0, "\(repeated.errors)")
        #expect(repeated.outputText == "-a&b")
    }

    @Test func usageErrorsNameTheOption() async throws {
        let cases: [([String], String)] = [
            (["-Z", "http://127.0.0.1/"], "'-Z'"),
            (["-sZ", "http://127.0.0.1/"], "'-Z'"),
            (["--nope", "http://127.0.0.1/"], "'--nope'"),
            (["http://127.0.0.1/", "-o"], "-o needs a value"),
            (["http://127.0.0.1/", "--output"], "--output needs a value"),
            (["--silent=yes", "http://127.0.0.1/"], "--silent takes no value"),
            (["--retry", "x", "http://127.0.0.1/"], "--retry: 'x' is not an integer"),
            (["--max-time", "soon", "http://127.0.0.1/"], "--max-time: 'soon' is not a number"),
            (["http://127.0.0.1/", "http://127.0.0.1/b"], "unexpected argument 'http://127.0.0.1/b'"),
            ([], "missing <url>"),
            (["bench", "-c", "0", "http://127.0.0.1/"], "-c must be at least 1"),
            (["demo", "extra"], "unexpected argument 'extra'"),
        ]
        for (arguments, message) in cases {
            let result = try await CLI.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.errors)")
            #expect(result.errors.contains(message), "\(arguments): \(result.errors)")
            #expect(result.errors.contains("--help' for more information"), "\(arguments): \(result.errors)")
            #expect(result.output.isEmpty)
        }
    }

    @Test func helpForEachCommand() async throws {
        let root = try await CLI.run(["--help"])
        #expect(root.status == 0)
        for line in ["\n  fetch ", "\n  bench ", "\n  demo ", "\nEXIT STATUS\n"] {
            #expect(root.outputText.contains(line), "\(line)")
        }
        for arguments in [["help", "bench"], ["bench", "--help"], ["bench", "-h", "http://127.0.0.1/"]] {
            let result = try await CLI.run(arguments)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.outputText.hasPrefix("OVERVIEW: Load-test a URL"), "\(arguments)")
            #expect(result.outputText.contains("\n  -c, --clients <count>   Connections"), "\(arguments)")
            #expect(result.outputText.contains("\nCONNECTION OPTIONS:\n"), "\(arguments)")
        }
        let fetch = try await CLI.run(["-s", "--help"])
        #expect(fetch.outputText.contains("\n  -o, --output <file>     Write the body"))
        let version = try await CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.outputText == "0.1.0\n")
    }
}
