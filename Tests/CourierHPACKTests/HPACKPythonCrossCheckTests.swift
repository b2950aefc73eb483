import CourierCore
import CourierHPACK
import CourierTestSupport
import Foundation
import Testing

/// Cross-check against an independent implementation, the Python `hpack` package: it decodes what
/// we encode and we decode what it encodes, over randomized header lists with table-size changes
/// and never-indexed fields. The interpreter comes from COURIER_PYTHON (`make test` sets it, and
/// then a missing interpreter fails the test), or else `.venv/bin/python` at the package root.
@Suite struct HPACKPythonCrossCheckTests {
    static let packageRoot = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The interpreter to use, or nil when neither COURIER_PYTHON nor `.venv` is there.
    static var interpreter: String? {
        if let configured = ProcessInfo.processInfo.environment["COURIER_PYTHON"], !configured.isEmpty {
            return configured
        }
        let local = packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }

    static let script = #"""
    import json, sys
    from hpack import Decoder, Encoder, NeverIndexedHeaderTuple
    job = json.load(open(sys.argv[1]))
    decoder = Decoder(max_header_list_size=1 << 24)
    decoded = []
    for step in job["ours"]:
        if step["settings"] is not None:
            decoder.max_allowed_table_size = step["settings"]
        fields = decoder.decode(bytes.fromhex(step["wire"]), raw=True)
        decoded.append([[n.hex(), v.hex(), isinstance(f, NeverIndexedHeaderTuple)] for f in fields for n, v in [f]])
    encoder = Encoder()
    encoded = []
    for step in job["theirs"]:
        if step["settings"] is not None:
            encoder.header_table_size = step["settings"]
        fields = [(bytes.fromhex(n), bytes.fromhex(v), s) for n, v, s in step["fields"]]
        encoded.append(encoder.encode(fields, huffman=step["huffman"]).hex())
    json.dump({"decoded": decoded, "encoded": encoded, "version": __import__("hpack").__version__}, open(sys.argv[2], "w"))
    """#

    struct Step {
        var settings: Int?
        var fields: [HPACKHeaderField]
        var bytes: [(name: [UInt8], value: [UInt8], sensitive: Bool)]
        var huffman: Bool
    }

    /// Random header lists: common and random names, printable and binary values, some fields
    /// marked never-indexed, and a SETTINGS_HEADER_TABLE_SIZE change every so often.
    static func randomSteps(count: Int, seed: UInt64) -> [Step] {
        var random = SeededGenerator(seed: seed)
        let common = [":method", ":path", ":authority", ":scheme", ":status", "content-type", "accept", "user-agent",
                      "cookie", "authorization", "set-cookie", "cache-control", "x-request-id", "date", "etag"]
        let settingsChoices = [4096, 1365, 0, 8192, 256, 4096]
        return (0..<count).map { index in
            var step = Step(settings: nil, fields: [], bytes: [], huffman: Bool.random(using: &random))
            if index > 0 && index % 17 == 0 { step.settings = settingsChoices[(index / 17) % settingsChoices.count] }
            for _ in 0..<Int.random(in: 0...20, using: &random) {
                let name: [UInt8] = Int.random(in: 0..<3, using: &random) > 0
                    ? Array(common.randomElement(using: &random)!.utf8)
                    : (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0x61...0x7a, using: &random) }
                let binary = Int.random(in: 0..<8, using: &random) == 0
                let length = Int.random(in: 0...(Int.random(in: 0..<10, using: &random) == 0 ? 300 : 24), using: &random)
                let value: [UInt8] = (0..<length).map { _ in
                    binary ? UInt8.random(in: 0...255, using: &random) : UInt8.random(in: 0x20...0x7e, using: &random)
                }
                // Python's encoder sends a field that is already in a table as an indexed field even
                // when marked sensitive, so sensitive fields get values no other field can have.
                if Int.random(in: 0..<10, using: &random) == 0 {
                    let secret = (0..<12).map { _ in UInt8.random(in: 0x41...0x5a, using: &random) }
                    step.bytes.append((name, secret, true))
                } else {
                    step.bytes.append((name, value, false))
                }
            }
            // Repeat fields often so both dynamic tables get used.
            if index > 0 && Bool.random(using: &random) { step.bytes += Array(step.bytes.prefix(3)) }
            return step
        }
    }

    @Test(.enabled(if: interpreter != nil, "no Python: set COURIER_PYTHON or run `make pydeps`"))
    func pythonHpackAndWeAgreeBothWays() async throws {
        let python = try #require(Self.interpreter)
        #expect(FileManager.default.isExecutableFile(atPath: python), "COURIER_PYTHON=\(python) is not executable")
        let steps = Self.randomSteps(count: 400, seed: 0xC0FFEE)

        // Ours: encode every list with one encoder.
        var encoder = HPACKEncoder()
        var ours: [[String: Any]] = []
        var expectedByPython: [[[String]]] = []
        for step in steps {
            if let size = step.settings { encoder.setPeerMaxTableSize(size) }
            var list = HPACKHeaderList()
            for field in step.bytes {
                field.name.withUnsafeBytes { name in
                    field.value.withUnsafeBytes { value in
                        list.append(name: name, value: value, indexing: field.sensitive ? .neverIndexed : .indexable)
                    }
                }
            }
            var block = ByteBuffer()
            encoder.encode(list, into: &block)
            ours.append(["settings": step.settings as Any? ?? NSNull(), "wire": HPACKTestSupport.hex(block.readableBytesView)])
            let sensitiveNames: Set<[UInt8]> = [Array("authorization".utf8), Array("proxy-authorization".utf8),
                                                Array("cookie".utf8)]
            expectedByPython.append(step.bytes.map {
                [HPACKTestSupport.hex($0.name), HPACKTestSupport.hex($0.value),
                 ($0.sensitive || sensitiveNames.contains($0.name)) ? "never" : "-"]
            })
        }
        let theirs: [[String: Any]] = steps.map { step in
            ["settings": step.settings as Any? ?? NSNull(), "huffman": step.huffman,
             "fields": step.bytes.map { [HPACKTestSupport.hex($0.name), HPACKTestSupport.hex($0.value), $0.sensitive] }]
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("courier-hpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("job.json")
        let output = directory.appendingPathComponent("result.json")
        try JSONSerialization.data(withJSONObject: ["ours": ours, "theirs": theirs]).write(to: input)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", Self.script, input.path, output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        // Polled without holding a thread: other suites run on the cooperative threads meanwhile.
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            process.terminate()
            Issue.record("python did not finish within 120 s")
            return
        }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(process.terminationStatus == 0, "python failed: \(stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as! [String: Any]

        // Python decoded our blocks to the same fields, with never-indexed exactly where we meant it.
        let decoded = (result["decoded"] as! [[[Any]]]).map { fields in
            fields.map { [$0[0] as! String, $0[1] as! String, ($0[2] as! Bool) ? "never" : "-"] }
        }
        #expect(decoded.count == steps.count)
        for (position, (got, want)) in zip(decoded, expectedByPython).enumerated() {
            #expect(got == want, "python decoding our block \(position)")
        }

        // We decode Python's blocks to the same fields, with its never-indexed marks.
        let encoded = result["encoded"] as! [String]
        #expect(encoded.count == steps.count)
        var decoder = HPACKDecoder(maxHeaderListSize: 1 << 24, maxFieldSize: 1 << 24)
        var list = HPACKHeaderList()
        var compared = 0
        for (position, (wire, step)) in zip(encoded, steps).enumerated() {
            if let size = step.settings { decoder.setMaxAllowedTableSize(size) }
            try decoder.decode(ByteBuffer(bytes: HPACKTestSupport.bytes(hex: wire)), into: &list)
            let got = list.map { [Array($0.nameBytes), Array($0.valueBytes), [$0.indexing == .neverIndexed ? 1 : 0]] }
            let want = step.bytes.map { [$0.name, $0.value, [$0.sensitive ? 1 : 0]] }
            #expect(got == want, "decoding python's block \(position)")
            compared += 1
        }
        #expect(compared == 400)
    }
}
