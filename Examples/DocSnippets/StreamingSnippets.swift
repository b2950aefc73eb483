import Courier
import Foundation

/// The snippets of Docs/streaming.md, compiled (never run: they reach example hosts).
enum StreamingSnippets {
    /// streaming.md, block 1.
    static func block1(client: HTTPClient) async throws {
        let response = try await client.get("https://downloads.example.com/dataset.bin")
        var total = 0
        for try await chunk in response.body {
            total += chunk.readableBytes
            // process chunk: it is a slice of the connection's read buffer, no copy
        }
        print("read \(total) bytes")
    }

    /// streaming.md, block 2.
    static func block2(client: HTTPClient) async throws {
        let download = try await client.get("https://downloads.example.com/dataset.bin")
        let expected = download.headerFields[.contentLength].flatMap { Int($0) }
        let written = try await download.body.download(to: "/tmp/dataset.bin") { bytes in
            if let expected { print("\(bytes * 100 / max(expected, 1))%") }
        }
        print("saved \(written) bytes")
    }

    /// streaming.md, block 3.
    static func block3(client: HTTPClient) async throws {
        let loop = client.eventLoopGroup.next()
        let saved = try await withTaskExecutorPreference(loop) {
            let download = try await client.get("https://downloads.example.com/dataset.bin")
            return try await download.body.download(to: "/tmp/dataset.bin")
        }
        print("saved \(saved) bytes")
    }

    static func block4(client: HTTPClient) async throws {
        struct Event: Decodable { var index: Int }

        let feed = try await client.get("https://api.example.com/events.ndjson")
        for try await line in feed.body.lines() where !line.isEmpty {
            let event = try JSONDecoder().decode(Event.self, from: Data(line.utf8))
            print(event.index)
        }
    }

    /// streaming.md, block 5.
    static func block5(client: HTTPClient) async throws {
        var fields = HTTPFields()
        fields[.accept] = "text/event-stream"
        let stream = try await client.get("https://api.example.com/stream", headerFields: fields)
        var data: [String] = []
        for try await line in stream.body.lines() {
            if line.isEmpty {
                if !data.isEmpty { print("event:", data.joined(separator: "\n")) }
                data.removeAll()
            } else if line.hasPrefix("data:") {
                data.append(String(line.dropFirst(5).drop(while: { $0 == " " })))
            }
        }
    }

    /// streaming.md, block 6.
    static func block6(client: HTTPClient) async throws {
        let big = try await client.get("https://downloads.example.com/huge.log", timeout: .seconds(30))
        for try await line in big.body.lines() {
            if line.contains("ERROR") {
                print(line)
                big.body.cancel() // the rest of the body is not downloaded
                break
            }
        }
    }

    /// streaming.md, block 7.
    static func block7(client: HTTPClient) async throws {
        // A file, read in chunks as the connection takes them (never loaded whole; replayable).
        let fileUpload = try await client.put("https://uploads.example.com/backup.tar", body: try .file(path: "/tmp/backup.tar"))

        // Chunks produced as you go, sent as the connection takes them.
        let (chunks, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let producer = Task {
            for part in 0..<100 {
                continuation.yield(ByteBuffer(string: "record \(part)\n"))
            }
            continuation.finish()
        }
        let streamed = try await client.post("https://uploads.example.com/records", body: .stream(chunks))
        await producer.value
        print(fileUpload.status, streamed.status)
    }
}
