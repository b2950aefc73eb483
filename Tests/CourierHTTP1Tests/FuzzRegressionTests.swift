import CourierHTTP1
import Testing

/// Inputs the fuzz harnesses (`Fuzz/Sources/FuzzHTTP1*`) once failed on, replayed with the harness's
/// configuration byte and checked the same way: the whole input and every split must agree.
@Suite struct FuzzRegressionTests {
    enum Harness { case response, request, chunked }

    /// (harness, what went wrong, input as hex: the configuration byte, then the bytes).
    static let regressions: [(Harness, String, String)] = [
        (.response, "a final lone CR after a response counted as unsolicited data in one split but not in another",
         "08485454502f312e3120333031204d6f766564205065726d616e656e746c790d0a4c6f636174696f6e3a20687474703a2f2f7777772e676f6f676c652e636f6d2f0d0a436f6e74656e742d547970653a20746578742f68746d6c3b20636861727365743d5554462d380d0a446174653a2053756e2c2032362041707220323030392031313a31313a343920473a343920474d540d0a582d2450726f746f7479706542492d56657273696f6e3a20312e362e302e330d0a43616368652d436f6e74726f6c3a207075426c69632c206d61782d6167653d323539323030300d0a5365727665723a206777730d0a436f6e74656e742d4c656e6774683a202032313920200d0a0d0a3c48544d4c3e3c484541443e3c6d65746120687474702d65717569763d22e201636f6e74656e742d747970652220636f6e74656e743d22746578742f68746d6c3b636861727365743d7574662d38223e0a3c5449544c453e333031204d6f7665643c2f5449544c453e3c2f484541443e3c424f44593e0a3c48313e333031204d6f7665643c2f48313e0a54686520646f63756d656e7420686173206d6f7665640a3c4120485245463d22687474703a2f2f7777772e676f6f676c652e636f6d2f223e686572653c2f413e2e0d0a3c2f424f44593e3c2f48544d4c3e0d0a"),
    ]

    @Test func replay() {
        for (harness, what, hex) in Self.regressions {
            let bytes = stride(from: 0, to: hex.count, by: 2).map { offset -> UInt8 in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
            let config = bytes[0]
            let input = Array(bytes.dropFirst())
            switch harness {
            case .response:
                let method = ["GET", "HEAD", "CONNECT", "POST"][Int(config & 3)]
                let limits = config & 16 != 0
                    ? HTTP1Limits(maxStartLineLength: 40, maxFieldLineLength: 40, maxHeadSize: 120, maxFieldCount: 3,
                                  maxChunkExtensionSize: 20, maxTrailerSize: 50)
                    : HTTP1Limits()
                expectSplitInvariant(input, what) { splits in
                    parseResponses(input, splits: splits, method: method, finish: config & 8 != 0,
                                   allowsBareLineFeed: config & 4 != 0, limits: limits)
                }
            case .request:
                let limits = config & 2 != 0
                    ? HTTP1Limits(maxStartLineLength: 40, maxFieldLineLength: 40, maxHeadSize: 120, maxFieldCount: 3,
                                  maxChunkExtensionSize: 20, maxTrailerSize: 50)
                    : HTTP1Limits()
                expectSplitInvariant(input, what) { splits in
                    parseRequests(input, splits: splits, finish: config & 1 != 0, limits: limits)
                }
            case .chunked:
                let limits = config & 4 != 0
                    ? HTTP1Limits(maxFieldLineLength: 30, maxFieldCount: 2, maxChunkExtensionSize: 12, maxTrailerSize: 40)
                    : HTTP1Limits()
                let whole = decodeChunked(input, splits: [], bareLF: config & 1 != 0, finish: config & 2 != 0,
                                          limits: limits)
                for splits in splitSets(for: input.count) {
                    let split = decodeChunked(input, splits: splits, bareLF: config & 1 != 0, finish: config & 2 != 0,
                                              limits: limits)
                    #expect(split == whole, "\(what): split at \(splits.prefix(8))")
                }
            }
        }
    }

    struct ChunkedOutcome: Equatable {
        var data: [UInt8] = []
        var trailers: [[String]]?
        var ended = false
        var leftover: [UInt8] = []
        var error: HTTP1Error?
    }

    /// The chunked harness's run, for replaying its inputs.
    func decodeChunked(_ input: [UInt8], splits: [Int], bareLF: Bool, finish: Bool, limits: HTTP1Limits)
        -> ChunkedOutcome {
        var decoder = HTTP1ChunkedDecoder(limits: limits, allowsBareLineFeed: bareLF)
        var outcome = ChunkedOutcome()
        var start = 0
        do {
            for end in splits + [input.count] {
                input[start..<end].withUnsafeBytes { decoder.append($0) }
                start = end
                while let event = try decoder.next() {
                    switch event {
                    case .data(let bytes): outcome.data += Array(bytes.readableBytesView)
                    case .end(let trailers):
                        outcome.ended = true
                        outcome.trailers = trailers.map(pairs)
                    }
                }
                if outcome.ended { outcome.leftover += Array(decoder.takeBufferedBytes().readableBytesView) }
            }
            if finish && !outcome.ended {
                decoder.finish()
                while try decoder.next() != nil {}
            }
        } catch {
            outcome.error = error
        }
        return outcome
    }
}
