import CourierCore
import CourierTestServer
import CourierTestSupport
import HTTPTypes
import Testing

@Suite("Faults over HTTP/1.1")
struct FaultTests {
    /// The bytes of a response head and how many body bytes follow it in `bytes`.
    private func split(_ bytes: [UInt8]) -> (head: String, body: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let index = (0...(max(0, bytes.count - 4))).first(where: { bytes.count >= $0 + 4 && Array(bytes[$0..<$0 + 4]) == separator }) else {
            return (String(decoding: bytes, as: UTF8.self), [])
        }
        return (String(decoding: bytes[0..<index], as: UTF8.self), Array(bytes[(index + 4)...]))
    }

    @Test("drop before the head: the connection closes with no response")
    func dropBeforeHead() async throws {
        try await withServer { server in
            server.route(.get, "/x", faults: [.dropConnection()]) { _ in .text("never sent") }
            let client = try rawClient(server)
            try await client.send(get("/x"))
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(bytes.isEmpty)
            #expect(ending == .closed)
            let recorded = try await server.recorder.waitForRequests(count: 1)
            #expect(recorded[0].responseStatus == nil)
        }
    }

    @Test("drop after N body bytes: the head and exactly N bytes, then FIN")
    func dropAfterBodyBytes() async throws {
        try await withServer { server in
            server.route(.get, "/big", faults: [.dropConnection(at: .afterBodyBytes(70_000))]) { _ in
                TestResponse(body: .pattern(count: 200_000))
            }
            let client = try rawClient(server)
            try await client.send(get("/big"))
            let (bytes, ending) = try await client.readUntilEnd()
            let (head, body) = split(bytes)
            #expect(head.contains("Content-Length: 200000"))
            #expect(body.count == 70_000)
            #expect(TestPattern.matches(body, offset: 0))
            #expect(ending == .closed)
        }
    }

    @Test("drop right after the head")
    func dropAfterHead() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/bytes/100?fault=drop&at=after-head"))
            let (bytes, ending) = try await client.readUntilEnd()
            let (head, body) = split(bytes)
            #expect(head.hasPrefix("HTTP/1.1 200 OK"))
            #expect(body.isEmpty)
            #expect(ending == .closed)
        }
    }

    @Test("reset before the head: the client sees ECONNRESET")
    func resetBeforeHead() async throws {
        try await withServer { server in
            server.route(.get, "/x", faults: [.reset()]) { _ in .text("never sent") }
            let client = try rawClient(server)
            try await client.send(get("/x"))
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(bytes.isEmpty)
            #expect(ending == .reset)
        }
    }

    @Test("reset after N body bytes: those bytes arrive, then ECONNRESET")
    func resetAfterBodyBytes() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/bytes/5000?fault=reset&at=1000"))
            let (bytes, ending) = try await client.readUntilEnd()
            let (head, body) = split(bytes)
            #expect(head.contains("Content-Length: 5000"))
            #expect(body.count == 1000)
            #expect(ending == .reset)
        }
    }

    @Test("stall after the head: nothing more arrives, the connection stays open until the client leaves")
    func stallAfterHead() async throws {
        try await withServer { server in
            server.route(.get, "/stall", faults: [.stall()]) { _ in .text("never sent") }
            let client = try rawClient(server)
            try await client.send(get("/stall"))
            let first = try await client.readAvailable(timeout: .seconds(5))
            #expect(split(first.bytes).head.hasPrefix("HTTP/1.1 200 OK"))
            let more = try await client.readAvailable(timeout: .milliseconds(200))
            #expect(more.bytes.isEmpty)
            #expect(more.ending == nil)
            #expect(server.recorder.openConnections == 1)
            client.close()
            try await server.recorder.waitForOpenConnections(0)
        }
    }

    @Test("stall before the head and after N body bytes")
    func stallElsewhere() async throws {
        try await withServer { server in
            let silent = try rawClient(server)
            try await silent.send(get("/bytes/10?fault=stall&at=before-head"))
            let nothing = try await silent.readAvailable(timeout: .milliseconds(200))
            #expect(nothing.bytes.isEmpty && nothing.ending == nil)

            let partial = try rawClient(server)
            try await partial.send(get("/bytes/10000?fault=stall&at=300"))
            var received: [UInt8] = []
            while split(received).body.count < 300 {
                let read = try await partial.readAvailable(timeout: .seconds(5))
                #expect(read.ending == nil)
                guard read.ending == nil, !read.bytes.isEmpty else { break }
                received += read.bytes
            }
            #expect(split(received).body.count == 300)
            let after = try await partial.readAvailable(timeout: .milliseconds(200))
            #expect(after.bytes.isEmpty && after.ending == nil)
        }
    }

    @Test("shutdown ends stalled responses")
    func shutdownEndsStall() async throws {
        let server = try await TestServer.start()
        let client = try rawClient(server)
        try await client.send(get("/bytes/10?fault=stall&at=before-head"))
        try await server.recorder.waitForRequests(count: 1)
        try await withTimeout(.seconds(10)) { await server.shutdown() }
        #expect(try await client.waitForEnd() != .stillOpen)
    }

    @Test("truncated chunked body: chunks arrive, the last chunk never does")
    func truncatedChunked() async throws {
        try await withServer { server in
            server.route(.get, "/cut", faults: [.truncateChunkedBody()]) { _ in .text("a complete body") }
            let client = try rawClient(server)
            try await client.send(get("/cut"))
            let (bytes, ending) = try await client.readUntilEnd()
            let (head, body) = split(bytes)
            #expect(head.contains("Transfer-Encoding: chunked"))
            #expect(!head.contains("Content-Length"))
            #expect(String(decoding: body, as: UTF8.self) == "f\r\na complete body\r\n")
            #expect(ending == .closed)

            let early = try rawClient(server)
            try await early.send(get("/bytes/1000?fault=truncate&at=100"))
            let (earlyBytes, _) = try await early.readUntilEnd()
            #expect(String(decoding: split(earlyBytes).body, as: UTF8.self).hasPrefix("64\r\n"))
            #expect(split(earlyBytes).body.count == 4 + 100 + 2)
        }
    }

    @Test("slow drip: the body comes a few bytes at a time, spaced by the interval")
    func drip() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            let start = ContinuousClock.now
            try await client.send(get("/bytes/10?chunked=1&drip=2:20"))
            let response = try await client.readResponse()
            #expect(response.chunkSizes == [2, 2, 2, 2, 2])
            #expect(response.body == (0..<10).map { TestPattern.byte(at: $0) })
            #expect(ContinuousClock.now - start >= .milliseconds(80))
        }
    }

    @Test("delay before the head")
    func delay() async throws {
        try await withServer { server in
            server.route(.get, "/late", faults: [.delay(.milliseconds(100))]) { _ in .text("late") }
            let client = try rawClient(server)
            let start = ContinuousClock.now
            try await client.send(get("/late"))
            #expect(try await client.readResponse().bodyString == "late")
            #expect(ContinuousClock.now - start >= .milliseconds(100))
        }
    }

    @Test("429 and 503 with Retry-After in seconds or as a date")
    func retryAfter() async throws {
        try await withServer { server in
            server.route(.get, "/limited") { _ in .tooManyRequests(retryAfter: .seconds(3)) }
            server.route(.get, "/down") { _ in .retrying(.serviceUnavailable, afterDate: "Wed, 21 Oct 2037 07:28:00 GMT") }
            let client = try rawClient(server)
            try await client.send(get("/limited"))
            let limited = try await client.readResponse()
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "3")
            try await client.send(get("/down"))
            let down = try await client.readResponse()
            #expect(down.status == 503)
            #expect(down.header("retry-after") == "Wed, 21 Oct 2037 07:28:00 GMT")
        }
    }

    @Test("goAway on HTTP/1.1: Connection: close, then the connection closes")
    func goAway() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/status/200?fault=goaway"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(try await client.waitForEnd() == .closed)
        }
    }

    @Test("refuseStream on HTTP/1.1: closed without a response")
    func refuse() async throws {
        try await withServer { server in
            server.route(.post, "/refused", faults: [.refuseStream]) { _ in .text("never") }
            let client = try rawClient(server)
            try await client.send("POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(bytes.isEmpty)
            #expect(ending == .closed)
        }
    }

    @Test("closeAfterResponse: a complete response that looks reusable, then the close")
    func closeAfterResponse() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/status/200?fault=close-after"))
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == nil)
            #expect(try await client.waitForEnd() == .closed)
        }
    }

    @Test("injected faults hit the next N matching requests only")
    func injectedFaults() async throws {
        try await withServer { server in
            server.injectFaults([.reset()], count: 1, path: "/status/200")
            let first = try rawClient(server)
            try await first.send(get("/status/200"))
            #expect(try await first.waitForEnd() == .reset)
            let second = try rawClient(server)
            try await second.send(get("/status/200"))
            #expect(try await second.readResponse().status == 200)
        }
    }

    @Test("faults combine: delay, drip and a drop inside the body")
    func combined() async throws {
        try await withServer { server in
            server.route(.get, "/combo", faults: [.delay(.milliseconds(20)), .drip(bytes: 3, every: .milliseconds(5)),
                                                  .dropConnection(at: .afterBodyBytes(7))]) { _ in
                .text("0123456789")
            }
            let client = try rawClient(server)
            try await client.send(get("/combo"))
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(String(decoding: split(bytes).body, as: UTF8.self) == "0123456")
            #expect(ending == .closed)
        }
    }

    @Test("an interruption due after more bytes than the body has happens at its end")
    func interruptionPastTheEnd() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/bytes/10?chunked=1&fault=drop&at=50"))
            let (bytes, ending) = try await client.readUntilEnd()
            #expect(String(decoding: split(bytes).body, as: UTF8.self).hasPrefix("a\r\n"))
            #expect(!String(decoding: split(bytes).body, as: UTF8.self).contains("0\r\n\r\n"))
            #expect(ending == .closed)
        }
    }

    @Test("query faults are validated")
    func badQueryFault() async throws {
        try await withServer { server in
            let client = try rawClient(server)
            try await client.send(get("/bytes/10?fault=explode"))
            #expect(try await client.readResponse().status == 400)
            try await client.send(get("/bytes/10?drip=x"))
            #expect(try await client.readResponse().status == 400)
        }
    }
}
