// An NDJSON and server-sent events consumer: follows two live streams as they arrive, one line (or one event)
// at a time in bounded memory, against Courier's in-process test server (`/ndjson/N`, `/sse/N`).
//
//   make example-stream                     (or: swift run ExampleStreamConsumer [events] [interval-ms])
import Courier
import CourierTestServer
import Foundation

struct Tick: Decodable {
    var index: Int
}

/// One server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html).
struct ServerSentEvent {
    var id: String?
    var event = "message"
    var data: [String] = []
}

/// Parses server-sent events from a body's lines: fields until an empty line, which dispatches the event.
func serverSentEvents(_ lines: HTTPClientResponse.Body.Lines) -> AsyncThrowingStream<ServerSentEvent, any Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                var current = ServerSentEvent()
                for try await line in lines {
                    if line.isEmpty {
                        if !current.data.isEmpty { continuation.yield(current) }
                        current = ServerSentEvent()
                        continue
                    }
                    if line.hasPrefix(":") { continue }                  // a comment (keep-alive)
                    let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    let field = String(parts[0])
                    var value = parts.count > 1 ? String(parts[1]) : ""
                    if value.hasPrefix(" ") { value.removeFirst() }
                    switch field {
                    case "id": current.id = value
                    case "event": current.event = value
                    case "data": current.data.append(value)
                    default: break
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let count = arguments.first ?? 20
let interval = arguments.dropFirst().first ?? 20

let server = try await TestServer.start()
let client = HTTPClient()
let started = ContinuousClock.now

// NDJSON: one JSON document per line.
var fields = HTTPFields()
fields[.accept] = "application/x-ndjson"
let feed = try await client.get(server.url("/ndjson/\(count)?interval=\(interval)"), headerFields: fields)
var ticks = 0
for try await line in feed.body.lines() where !line.isEmpty {
    let tick = try JSONDecoder().decode(Tick.self, from: Data(line.utf8))
    ticks += 1
    print("ndjson  +\(ContinuousClock.now - started)  index \(tick.index)")
}

// Server-sent events.
fields[.accept] = "text/event-stream"
let stream = try await client.get(server.url("/sse/\(count)?interval=\(interval)"), headerFields: fields)
var events = 0
for try await event in serverSentEvents(stream.body.lines()) {
    let tick = try JSONDecoder().decode(Tick.self, from: Data(event.data.joined(separator: "\n").utf8))
    events += 1
    print("sse     +\(ContinuousClock.now - started)  id \(event.id ?? "-") \(event.event) index \(tick.index)")
}

print("\(ticks) NDJSON lines and \(events) events received")
await client.shutdown()
await server.shutdown()
if ticks != count || events != count { exit(1) }
