import CourierTestSupport
import Foundation

/// The llhttp and http-parser fixtures of `Tests/Fixtures/http1`, decoded (format: `Tests/Fixtures/README.md`).
enum ConformanceFixtures {
    struct ExpectedMessage {
        var status: Int?
        var reason: String?
        var method: String?
        var url: String?
        var version: String?
        var headers: [[String]]
        var headersComplete: Bool
        var body: [UInt8]
        var complete: Bool
        var keepAlive: Bool?
        var bodyUntilEOF: Bool?
        var trailers: [[String]]?
    }

    struct LlhttpCase {
        var name: String
        var mode: String
        var lenient: Bool
        var skipBody: Bool
        var finishAtEOF: Bool
        var raw: [UInt8]
        var messages: [ExpectedMessage]
        /// llhttp's error name (HPE_…), nil when none.
        var errorName: String?
        var errorOffset: Int?
    }

    struct HttpParserCase {
        var name: String
        var raw: [UInt8]
        var nonStrictOnly: Bool
        var versionMajor: Int
        var versionMinor: Int
        var status: Int
        var reason: String
        var headers: [[String]]
        var body: [UInt8]?
        var keepAlive: Bool
        var completeOnEOF: Bool
        /// Bytes after the head that belong to an upgraded protocol; nil when there is no upgrade.
        var upgrade: [UInt8]?
    }

    static func llhttp(_ file: String) throws -> [LlhttpCase] {
        let root = try json(file)
        return (root["cases"] as! [[String: Any]]).map { item in
            let expected = item["expected"] as! [String: Any]
            let error = expected["error"] as? [String: Any]
            return LlhttpCase(
                name: item["name"] as! String,
                mode: item["mode"] as! String,
                lenient: item["lenient"] as? Bool ?? false,
                skipBody: item["skipBody"] as? Bool ?? false,
                finishAtEOF: item["finishAtEOF"] as? Bool ?? false,
                raw: rawBytes(item),
                messages: (expected["messages"] as! [[String: Any]]).map(message),
                errorName: error?["name"] as? String,
                errorOffset: error?["offset"] as? Int)
        }
    }

    static func httpParser() throws -> (cases: [HttpParserCase], errors: [(name: String, raw: [UInt8], error: String)]) {
        let root = try json("http1/http-parser-responses.json")
        let cases = (root["cases"] as! [[String: Any]]).map { item -> HttpParserCase in
            let expected = item["expected"] as! [String: Any]
            let upgrade = expected["upgrade"] as? String
            return HttpParserCase(
                name: item["name"] as! String,
                raw: rawBytes(item),
                nonStrictOnly: item["non_strict_only"] as? Bool ?? false,
                versionMajor: expected["http_major"] as! Int,
                versionMinor: expected["http_minor"] as! Int,
                status: expected["status"] as! Int,
                reason: expected["reason"] as! String,
                headers: expected["headers"] as! [[String]],
                body: (expected["body"] as? String).map { Array($0.utf8) },
                keepAlive: expected["keepAlive"] as! Bool,
                completeOnEOF: expected["messageCompleteOnEOF"] as! Bool,
                upgrade: upgrade == nil || upgrade == "NULL" ? nil : Array(upgrade!.utf8))
        }
        let errors = (root["error_cases"] as! [[String: Any]]).map { item in
            (name: item["name"] as! String, raw: rawBytes(item),
             error: (item["expected"] as! [String: Any])["error"] as! String)
        }
        return (cases, errors)
    }

    private static func json(_ file: String) throws -> [String: Any] {
        let data = Data(try Fixtures.bytes(file))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private static func rawBytes(_ item: [String: Any]) -> [UInt8] {
        if let hex = item["raw_hex"] as? String {
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
        return Array((item["raw"] as! String).utf8)
    }

    private static func message(_ item: [String: Any]) -> ExpectedMessage {
        ExpectedMessage(
            status: item["status"] as? Int,
            reason: item["reason"] as? String,
            method: item["method"] as? String,
            url: item["url"] as? String,
            version: item["version"] as? String,
            headers: (item["headers"] as? [[String]]) ?? [],
            headersComplete: item["headers_complete"] as? Bool ?? false,
            body: Array(((item["body"] as? String) ?? "").utf8),
            complete: item["complete"] as? Bool ?? false,
            keepAlive: item["keepAlive"] as? Bool,
            bodyUntilEOF: item["bodyUntilEOF"] as? Bool,
            trailers: item["trailers"] as? [[String]])
    }

    /// Field values as llhttp logs them keep trailing whitespace; ours are trimmed (RFC 9112 §5).
    static func trimmed(_ fields: [[String]]) -> [[String]] {
        fields.map { [$0[0], $0[1].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))] }
    }
}
