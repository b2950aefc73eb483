import CourierCore
import CourierHTTP1
import Testing

/// One message as the tests see it: everything a parser reported about it, flattened to plain values.
struct ParsedMessage: Equatable, CustomStringConvertible {
    var informational = false
    var version = HTTP1Version.http1_1
    var status = 0
    var reason = ""
    var method = ""
    var target = ""
    var fields: [[String]] = []
    var framing = HTTP1Framing.none
    var keepAlive = false
    var expectsContinue = false
    var isUpgradeRequest = false
    var contentLength: Int?
    var body: [UInt8] = []
    var trailers: [[String]]?
    var complete = false

    var description: String {
        let start = method.isEmpty ? "\(version) \(status) \(reason)" : "\(method) \(target) \(version)"
        return "\(start) fields=\(fields) framing=\(framing) keepAlive=\(keepAlive) body=\(body.count)B "
            + "trailers=\(trailers ?? []) complete=\(complete)"
    }
}

/// Everything a parser produced for one input.
struct ParseOutcome: Equatable, CustomStringConvertible {
    var messages: [ParsedMessage] = []
    var error: HTTP1Error?
    /// Bytes handed to another protocol (101, CONNECT tunnel, accepted upgrade request).
    var upgraded: [UInt8]?

    var description: String {
        "messages: \(messages.map(\.description)) error: \(error.map(\.description) ?? "none") "
            + "upgraded: \(upgraded.map { String(decoding: $0, as: UTF8.self).debugDescription } ?? "no")"
    }
}

func pairs(_ fields: HTTP1Fields) -> [[String]] { fields.map { [$0.name, $0.value] } }

/// Feeds `input` in pieces ending at `splits`, alternating the adopting and the copying `append`.
private func feed(_ input: [UInt8], splits: [Int], _ append: (ByteBuffer?, UnsafeRawBufferPointer?) -> Void,
                  _ drain: () -> Bool) {
    var start = 0
    for (index, end) in (splits + [input.count]).enumerated() where end > start || index == splits.count {
        let piece = Array(input[start..<end])
        if index % 2 == 0 {
            append(ByteBuffer(bytes: piece), nil)
        } else {
            piece.withUnsafeBytes { append(nil, $0) }
        }
        start = end
        if !drain() { return }
    }
}

/// Runs the response parser over `input`. Every response answers `method`; `finish` signals EOF.
func parseResponses(
    _ input: [UInt8], splits: [Int] = [], method: String = "GET", finish: Bool = false,
    allowsBareLineFeed: Bool = false, limits: HTTP1Limits = HTTP1Limits()
) -> ParseOutcome {
    var parser = HTTP1ResponseParser(limits: limits, allowsBareLineFeed: allowsBareLineFeed)
    var outcome = ParseOutcome()
    parser.expectResponse(toMethod: method)
    func drain() -> Bool {
        if outcome.upgraded != nil {
            outcome.upgraded! += Array(parser.takeBufferedBytes().readableBytesView)
            return true
        }
        while true {
            do {
                guard let event = try parser.next() else {
                    // Like a client sending its next request once the previous response ended: only
                    // when the server has sent more (empty lines between responses are skipped first).
                    if parser.hasUnsolicitedBytes {
                        parser.expectResponse(toMethod: method)
                        continue
                    }
                    return true
                }
                switch event {
                case .informational(let head), .head(let head):
                    var message = ParsedMessage()
                    message.informational = head.isInformational
                    message.version = head.version
                    message.status = head.status
                    message.reason = head.reason
                    message.fields = pairs(head.fields)
                    message.framing = head.framing
                    message.keepAlive = head.keepAlive
                    message.contentLength = head.contentLength
                    message.complete = head.isInformational
                    outcome.messages.append(message)
                case .body(let bytes):
                    precondition(bytes.readableBytes > 0, "empty body event")
                    outcome.messages[outcome.messages.count - 1].body += Array(bytes.readableBytesView)
                case .end(let trailers):
                    outcome.messages[outcome.messages.count - 1].complete = true
                    outcome.messages[outcome.messages.count - 1].trailers = trailers.map(pairs)
                case .upgraded(let bytes):
                    outcome.messages[outcome.messages.count - 1].complete = true
                    outcome.upgraded = Array(bytes.readableBytesView)
                    return true
                }
            } catch {
                outcome.error = error
                return false
            }
        }
    }
    feed(input, splits: splits, { buffer, raw in
        if let buffer { parser.append(buffer) } else { parser.append(raw!) }
    }, drain)
    if finish && outcome.error == nil {
        parser.finish()
        _ = drain()
    }
    return outcome
}

/// Runs the request parser over `input`; an upgrade request is accepted and the rest recorded.
func parseRequests(
    _ input: [UInt8], splits: [Int] = [], finish: Bool = false, limits: HTTP1Limits = HTTP1Limits()
) -> ParseOutcome {
    var parser = HTTP1RequestParser(limits: limits)
    var outcome = ParseOutcome()
    func drain() -> Bool {
        while true {
            if outcome.upgraded != nil {
                outcome.upgraded! += Array(parser.takeBufferedBytes().readableBytesView)
                return true
            }
            do {
                guard let event = try parser.next() else {
                    if parser.isPausedForUpgrade {
                        outcome.upgraded = Array(parser.acceptUpgrade().readableBytesView)
                    }
                    return true
                }
                switch event {
                case .head(let head):
                    var message = ParsedMessage()
                    message.version = head.version
                    message.method = head.method
                    message.target = head.target
                    message.fields = pairs(head.fields)
                    message.framing = head.framing
                    message.keepAlive = head.keepAlive
                    message.expectsContinue = head.expectsContinue
                    message.isUpgradeRequest = head.isUpgradeRequest
                    message.contentLength = head.contentLength
                    outcome.messages.append(message)
                case .body(let bytes):
                    precondition(bytes.readableBytes > 0, "empty body event")
                    outcome.messages[outcome.messages.count - 1].body += Array(bytes.readableBytesView)
                case .end(let trailers):
                    outcome.messages[outcome.messages.count - 1].complete = true
                    outcome.messages[outcome.messages.count - 1].trailers = trailers.map(pairs)
                }
            } catch {
                outcome.error = error
                return false
            }
        }
    }
    feed(input, splits: splits, { buffer, raw in
        if let buffer { parser.append(buffer) } else { parser.append(raw!) }
    }, drain)
    if finish && outcome.error == nil {
        parser.finish()
        _ = drain()
    }
    return outcome
}

/// A small deterministic generator (SplitMix64), so random splits are reproducible.
struct SplitMix64: RandomNumberGenerator {
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

/// The split sets every test runs: each single split point and byte-at-a-time for short inputs,
/// random multi-way splits for long ones.
func splitSets(for count: Int, seed: UInt64 = 1) -> [[Int]] {
    guard count > 1 else { return [] }
    if count <= 2048 {
        return (1..<count).map { [$0] } + [Array(1..<count)]
    }
    var generator = SplitMix64(seed: seed ^ UInt64(count))
    return (0..<200).map { _ in
        let pieces = Int.random(in: 2...64, using: &generator)
        return Set((0..<pieces).map { _ in Int.random(in: 1..<count, using: &generator) }).sorted()
    }
}

/// Runs `parse` on the whole input and on every split set, records an issue for any split whose
/// outcome differs, and returns the whole-input outcome.
@discardableResult
func expectSplitInvariant(
    _ input: [UInt8], _ label: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ parse: ([Int]) -> ParseOutcome
) -> ParseOutcome {
    let whole = parse([])
    for splits in splitSets(for: input.count) {
        let split = parse(splits)
        if split != whole {
            Issue.record("\(label): splitting at \(splits.prefix(8)) gives\n  \(split)\nwhole input gives\n  \(whole)",
                         sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}
