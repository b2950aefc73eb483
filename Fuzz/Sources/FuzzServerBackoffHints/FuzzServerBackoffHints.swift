// Reads Retry-After, RateLimit-* and X-RateLimit-* fields (delta seconds, HTTP-dates in the three formats of
// RFC 9110, structured RateLimit fields) from arbitrary bytes: no crash, and every delay it derives is
// non-negative and bounded.
import Courier
import CourierResilience

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("FuzzServerBackoffHints_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

let names = ["Retry-After", "RateLimit-Reset", "X-RateLimit-Reset", "RateLimit-Remaining", "X-RateLimit-Remaining",
             "RateLimit-Limit", "X-RateLimit-Limit", "RateLimit", "Date"]

/// Input: one byte choosing the current time, then lines `<name index byte><value>` separated by LF.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    // Around now, around 1970, or far in the future.
    let unixTime: Double = switch input[0] % 3 {
    case 0: 1_795_000_000
    case 1: 0
    default: 1e12
    }
    var fields = HTTPFields()
    for line in input.dropFirst().split(separator: 0x0A, omittingEmptySubsequences: true) {
        let name = HTTPField.Name(names[Int(line[line.startIndex]) % names.count])!
        let value = String(decoding: line.dropFirst(), as: UTF8.self)
        fields.append(HTTPField(name: name, value: value))
    }
    let hints = ServerBackoffHints(fields: fields, unixTime: unixTime)
    for delay in [hints.retryAfter, hints.reset] {
        if let delay { precondition(delay >= .zero, "negative delay \(delay)") }
    }
    if let remaining = hints.remaining { precondition(remaining >= 0) }
    if let limit = hints.limit { precondition(limit >= 0) }
    for status in [HTTPResponse.Status.tooManyRequests, .serviceUnavailable, .ok] {
        if let delay = hints.requestedDelay(status: status) { precondition(delay >= .zero) }
    }
    return 0
}
