import CourierCore
import CourierHTTP1
import Testing

/// The standalone chunked decoder (the one the parsers use).
@Suite struct ChunkedDecoderTests {
    func decode(_ text: String, splits: [Int] = [], finish: Bool = false) -> (body: [UInt8], trailers: [[String]]?,
                                                                            ended: Bool, error: HTTP1Error?, rest: [UInt8]) {
        var decoder = HTTP1ChunkedDecoder()
        let bytes = Array(text.utf8)
        var body: [UInt8] = []
        var trailers: [[String]]?
        var ended = false
        var start = 0
        do {
            for end in splits + [bytes.count] {
                bytes[start..<end].withUnsafeBytes { decoder.append($0) }
                start = end
                while let event = try decoder.next() {
                    switch event {
                    case .data(let data): body += Array(data.readableBytesView)
                    case .end(let fields):
                        ended = true
                        trailers = fields.map(pairs)
                    }
                }
            }
            if finish {
                decoder.finish()
                while try decoder.next() != nil {}
            }
        } catch {
            return (body, trailers, ended, error, [])
        }
        return (body, trailers, ended, nil, Array(decoder.takeBufferedBytes().readableBytesView))
    }

    @Test func decodesAtEverySplit() {
        let text = "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nDigest: sha\r\n\r\nNEXT"
        for split in 0...text.utf8.count {
            let result = decode(text, splits: [split])
            #expect(result.error == nil)
            #expect(String(decoding: result.body, as: UTF8.self) == "abc0123456789abcdef")
            #expect(result.trailers == [["Digest", "sha"]] && result.ended)
            #expect(result.rest == Array("NEXT".utf8))
        }
    }

    @Test func truncationAndErrors() {
        #expect(decode("5\r\nab", finish: true).error?.code == .truncatedBody)
        #expect(decode("z\r\n").error?.code == .invalidChunkSize)
        let ok = decode("0\r\n\r\n", finish: true)
        #expect(ok.ended && ok.error == nil && ok.trailers == nil)
    }
}
