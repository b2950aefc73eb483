/// A set of HTTP status codes (0–1023) as a bitmap: a membership test costs a shift, not a hash.
struct StatusSet: Sendable, Hashable {
    private var words = [UInt64](repeating: 0, count: 16)

    init(_ codes: Set<Int>) {
        for code in codes where (0..<1024).contains(code) { words[code >> 6] |= 1 << UInt64(code & 63) }
    }

    @inline(__always)
    func contains(_ code: Int) -> Bool {
        guard (0..<1024).contains(code) else { return false }
        return words[code >> 6] & (1 << UInt64(code & 63)) != 0
    }
}
