import Courier
import CourierCore

/// One fetch: sends the request, writes the head (`-i`, `-v`) and the body to the output strictly as they
/// arrive, hashes the body for the summary, and records what happened and when.
struct Transfer {
    /// What to do with the response.
    struct Settings {
        /// `-i`: the status line and fields go to the output before the body.
        var includeHead = false
        /// `-v`: the request and response heads go to standard error.
        var verbose = false
        /// `-f`: a status of 400 or more is a failure; nothing is written.
        var failOnHTTPError = false
        /// `--summary`: hash the body.
        var hashBody = false
        /// Draw a progress bar on standard error.
        var showProgress = false
        /// `--max-filesize`: the most body bytes accepted.
        var maximumBodyBytes: Int?
    }

    let client: HTTPClient
    let request: HTTPClientRequest
    let output: OutputSink.Target
    let settings: Settings
    let attempts: AttemptCounter

    /// Runs the transfer to its end and reports it; never throws, failures are part of the report.
    func run() async -> TransferReport {
        var report = TransferReport(start: SystemClock.now())
        // With -v, the listener prints each hop's request head once its connection is known.
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request)
        } catch {
            report.finish(failure: TransferFailure(error), attempts: attempts.count)
            return report
        }
        report.headReceived(response)
        if settings.verbose { StandardError.write(Self.headText(response, linePrefix: "< ") + "\n") }
        var sink = OutputSink(output)
        do {
            try receiveBody(response, into: &sink, report: &report)
            try await streamBody(response, into: &sink, report: &report)
            try sink.finish()
        } catch {
            response.body.cancel()
            report.failure = error
        }
        report.finish(failure: report.failure, attempts: attempts.count)
        return report
    }

    /// Checks the head against `--fail` and `--max-filesize`, and writes it when `-i` asks for it.
    private func receiveBody(_ response: HTTPClientResponse, into sink: inout OutputSink,
                             report: inout TransferReport) throws(TransferFailure) {
        let status = response.status.code
        if settings.failOnHTTPError && status >= 400 {
            throw TransferFailure(code: "httpError", message: "the server answered \(status)", status: .httpError)
        }
        if let maximum = settings.maximumBodyBytes, let declared = response.headerFields[.contentLength].flatMap({ Int($0) }),
           declared > maximum {
            throw Self.tooLarge(maximum, declared: declared)
        }
        if settings.includeHead { try sink.write(Self.headText(response, linePrefix: "", lineEnd: "\r\n") + "\r\n") }
    }

    /// Copies the body to the output chunk by chunk, hashing and counting it.
    private func streamBody(_ response: HTTPClientResponse, into sink: inout OutputSink,
                            report: inout TransferReport) async throws(TransferFailure) {
        let hasher = settings.hashBody ? SHA256Hasher() : nil
        if settings.hashBody && hasher == nil {
            throw TransferFailure(code: "internal", message: "OpenSSL offers no SHA-256", status: .failure)
        }
        var progress: ProgressBar?
        if settings.showProgress {
            progress = ProgressBar(expectedBytes: response.headerFields[.contentLength].flatMap { Int($0) })
        }
        defer {
            if let hasher { report.bodySha256 = hasher.finalizeHex() }
            progress?.finish(received: report.bodyBytes)
        }
        var chunks = response.body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await chunks.next()
            } catch {
                throw TransferFailure(body: error)
            }
            guard let chunk = next else { return }
            if let maximum = settings.maximumBodyBytes, report.bodyBytes + chunk.readableBytes > maximum {
                throw Self.tooLarge(maximum, declared: nil)
            }
            hasher?.update(chunk)
            try sink.write(chunk)
            report.bodyBytes += chunk.readableBytes
            progress?.update(received: report.bodyBytes)
        }
    }

    private static func tooLarge(_ maximum: Int, declared: Int?) -> TransferFailure {
        let what = declared.map { "the body (\($0) bytes)" } ?? "the body"
        return TransferFailure(code: "limitExceeded", message: "\(what) is larger than --max-filesize \(maximum)",
                               status: .limitExceeded)
    }

    /// The status line and fields, one per line.
    static func headText(_ response: HTTPClientResponse, linePrefix: String, lineEnd: String = "\n") -> String {
        var text = linePrefix + response.version.rawValue + " " + String(response.status.code)
        if response.version == .http1_1 { text += " " + response.status.reasonPhrase }
        text += lineEnd
        for field in response.headerFields {
            text += linePrefix + field.name.rawName + ": " + field.value + lineEnd
        }
        return text
    }

    /// The request as `-v` shows it (the fields the CLI sets; the client adds framing fields).
    static func describe(_ request: HTTPRequest) -> String {
        var text = "> \(request.method.rawValue) \(request.path ?? "/")\n> Host: \(request.authority ?? "")\n"
        for field in request.headerFields { text += "> \(field.name.rawName): \(field.value)\n" }
        return text + ">\n"
    }
}
