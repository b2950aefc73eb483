import Courier
import CourierCore

/// What a transfer did: the response head, how much body arrived and its digest, the failure if any, and
/// when each phase ended. Renders the `--summary` line.
struct TransferReport {
    /// The HTTP status, when a response head arrived.
    var status: Int?
    /// `HTTP/1.1` or `HTTP/2`, when a response head arrived.
    var version: HTTPProtocolVersion?
    /// The response fields as received (name as sent by the server, value).
    var fields: [(String, String)] = []
    /// Body bytes received and written.
    var bodyBytes = 0
    /// SHA-256 of those bytes, when hashing was asked for and a head arrived.
    var bodySha256: String?
    /// Why the transfer did not complete, if it did not.
    var failure: TransferFailure?
    /// How many times the request was handed to the network executor.
    var attempts = 0
    /// When the transfer started, the head arrived, and the transfer ended.
    let start: Timestamp
    var head: Timestamp?
    var end: Timestamp?

    init(start: Timestamp) { self.start = start }

    /// The exit status: success for a complete response, the failure's category otherwise.
    var exitStatus: ExitStatus { failure?.status ?? .success }

    mutating func headReceived(_ response: HTTPClientResponse) {
        head = SystemClock.now()
        status = response.status.code
        version = response.version
        fields = response.headerFields.map { ($0.name.rawName, $0.value) }
    }

    mutating func finish(failure: TransferFailure?, attempts: Int) {
        end = SystemClock.now()
        self.failure = failure
        self.attempts = attempts
    }

    /// The `--summary` line: one JSON object (fields documented in Docs/cli.md). Timings are milliseconds;
    /// `headMs` and `bodyMs` are null when no head arrived. Per-phase timings (DNS, connect, TLS) will join
    /// them as `dnsMs`, `connectMs`, `tlsMs` once the client reports them.
    var summaryJSON: String {
        var json = JSONText()
        json.beginObject()
        json.integer("status", status)
        json.string("protocol", version?.rawValue)
        json.beginArray("headers")
        for (name, value) in fields {
            json.beginArray()
            json.string(nil, name)
            json.string(nil, value)
            json.endArray()
        }
        json.endArray()
        json.integer("bodyBytes", bodyBytes)
        json.string("bodySha256", bodySha256)
        if let failure {
            json.beginObject("error")
            json.string("code", failure.code)
            json.string("message", failure.message)
            json.endObject()
        } else {
            json.null("error")
        }
        let end = self.end ?? SystemClock.now()
        json.beginObject("timings")
        json.number("totalMs", Self.milliseconds(from: start, to: end))
        json.number("headMs", head.map { Self.milliseconds(from: start, to: $0) })
        json.number("bodyMs", head.map { Self.milliseconds(from: $0, to: end) })
        json.endObject()
        json.integer("attempts", attempts)
        json.endObject()
        return json.text
    }

    private static func milliseconds(from start: Timestamp, to end: Timestamp) -> Double {
        Double(end.nanoseconds &- start.nanoseconds) / 1e6
    }
}
