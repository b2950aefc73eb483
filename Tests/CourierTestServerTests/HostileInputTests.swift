import CourierCore
import CourierTestServer
import CourierTestSupport
import Foundation
import Testing

/// Request bytes from the llhttp conformance cases, and random mutations of valid requests, sent to a live
/// server: every connection must end (after the client half-closes), valid requests must all be answered,
/// invalid ones must never be answered as if valid, and the server must keep serving.
@Suite("Hostile and conformance input")
struct HostileInputTests {
    struct Case {
        let name: String
        let raw: [UInt8]
        let lenient: Bool
        let error: String?
        /// Messages whose head llhttp completed.
        let heads: Int
    }

    static func llhttpCases() throws -> [Case] {
        let data = Data(try Fixtures.bytes("http1/llhttp-requests-framing.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return cases.map { entry in
            let expected = entry["expected"] as? [String: Any] ?? [:]
            let messages = expected["messages"] as? [[String: Any]] ?? []
            let error = (expected["error"] as? [String: Any])?["name"] as? String
                ?? (expected["error"] as? String)
            return Case(name: entry["name"] as? String ?? "?", raw: Array((entry["raw"] as? String ?? "").utf8),
                        lenient: entry["lenient"] as? Bool ?? false, error: error,
                        heads: messages.filter { $0["headers_complete"] as? Bool ?? false }.count)
        }
    }

    /// Sends `raw`, half-closes, and collects the final statuses until the server ends the connection.
    static func exchange(_ raw: [UInt8], with server: TestServer) async throws -> (statuses: [Int], ending: ConnectionEnding) {
        let client = try rawClient(server)
        defer { client.close() }
        try await client.send(raw)
        try await client.shutdownWrite()
        var statuses: [Int] = []
        while true {
            do {
                let response = try await client.readResponse(timeout: .seconds(5))
                if response.status >= 200 { statuses.append(response.status) }
            } catch {
                break
            }
        }
        return (statuses, try await client.waitForEnd(timeout: .seconds(5)))
    }

    @Test("llhttp request framing cases end to end")
    func llhttpRequests() async throws {
        let cases = try Self.llhttpCases()
        #expect(cases.count == 70)
        try await withServer(limit: .seconds(120)) { server in
            for fixture in cases {
                let (statuses, ending) = try await Self.exchange(fixture.raw, with: server)
                #expect(ending != .stillOpen, "\(fixture.name): the connection did not end")
                let answered = statuses.filter { $0 != 400 && $0 != 414 && $0 != 431 }
                if fixture.name == "Content-Length reset when no body is received" {
                    // llhttp's skipBody option has no meaning for requests (see the HTTP/1.1 conformance tests).
                    #expect(answered.count == 1, "\(fixture.name): \(statuses)")
                } else if fixture.lenient {
                    // The parser tests check that lenient-only input is rejected; here: nothing beyond it is served.
                    #expect(answered.count <= fixture.heads, "\(fixture.name): \(statuses)")
                } else if let error = fixture.error, error != "HPE_PAUSED_UPGRADE" {
                    #expect(answered.count <= fixture.heads, "\(fixture.name): \(statuses)")
                } else if fixture.error == nil {
                    #expect(answered.count == fixture.heads && statuses.count == answered.count,
                            "\(fixture.name): \(fixture.heads) requests, answers \(statuses)")
                }
            }
            let client = try rawClient(server)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().status == 200)
        }
    }

    @Test("randomly mutated requests never hang or crash the server", arguments: [1, 2, 3])
    func mutations(seed: UInt64) async throws {
        let valid: [[UInt8]] = [
            Array(get("/status/200").utf8),
            Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".utf8),
            Array("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n".utf8),
            Array("PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi".utf8),
            Array((get("/bytes/10") + get("/headers", "Connection: close\r\n")).utf8),
        ]
        let interesting: [UInt8] = Array(" \r\n:;\t\0\u{7f}0xF-,".utf8) + [0x80, 0xff]
        try await withServer(limit: .seconds(120)) { server in
            var generator = SplitMix64(seed: seed)
            var outcomes: [Int: Int] = [:]
            for _ in 0..<300 {
                var raw = valid[Int(generator.next() % UInt64(valid.count))]
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(raw.count))
                    switch generator.next() % 4 {
                    case 0: raw[position] = interesting[Int(generator.next() % UInt64(interesting.count))]
                    case 1: raw.insert(interesting[Int(generator.next() % UInt64(interesting.count))], at: position)
                    case 2: if raw.count > 1 { raw.remove(at: position) }
                    default: raw.insert(contentsOf: raw[position..<min(raw.count, position + 8)], at: position)
                    }
                }
                let (statuses, ending) = try await Self.exchange(raw, with: server)
                for status in statuses { outcomes[status, default: 0] += 1 }
                #expect(ending != .stillOpen, "the connection did not end for \(String(decoding: raw, as: UTF8.self).debugDescription)")
            }
            // Both valid answers and rejections occur, so the mutations exercise more than the first byte.
            #expect(outcomes[400, default: 0] > 0 && outcomes.filter { $0.key < 300 }.count > 0, "\(outcomes)")
            let client = try rawClient(server)
            try await client.send(get("/status/200"))
            #expect(try await client.readResponse().status == 200)
            try await server.recorder.waitForOpenConnections(1)
        }
    }
}

/// A small deterministic generator, so a failing mutation run can be replayed from its seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
