#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HPACK static table (RFC 7541 Appendix A), laid out for both directions: the decoder copies
/// an entry's name and value (stored back to back) with one `memcpy`, and the encoder finds a
/// name through a small open-addressing hash map instead of scanning the 61 entries.
///
/// Built once per process and never mutated or freed, which is why sharing it is safe.
final class StaticTable: @unchecked Sendable {
    /// Entries 1...61, in RFC order.
    static let fields: [(name: String, value: String)] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
        ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
        ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
        ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
        ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
        ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
        ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ]

    /// Number of static entries; dynamic indices start after it.
    static let count = 61

    /// Names the encoder always sends as never-indexed literals: credentials and cookies, whose
    /// values must not become guessable through compression (RFC 7541 §7.1.3).
    static let sensitiveNames: Set<String> = ["authorization", "proxy-authorization", "cookie"]

    /// Names whose values change from message to message, so indexing them would only evict
    /// entries that do repeat; the encoder sends them as literals without indexing.
    static let unindexedNames: Set<String> = [
        ":path", "content-length", "etag", "if-modified-since", "if-none-match", "location", "age", "set-cookie",
    ]

    /// The process-wide instance.
    static let shared = StaticTable()

    /// Per-entry encoder policy flags (see `flags`).
    static let sensitiveFlag: UInt8 = 1
    static let unindexedFlag: UInt8 = 2

    /// Names and values back to back, entry after entry.
    let bytes: UnsafeMutablePointer<UInt8>
    /// For index i (1-based; slot 0 unused): start of the name in `bytes`, name and value lengths.
    let starts: UnsafeMutablePointer<UInt16>
    let nameLengths: UnsafeMutablePointer<UInt8>
    let valueLengths: UnsafeMutablePointer<UInt8>
    /// For index i: the last index with the same name (entries sharing a name are adjacent).
    let lastIndexWithName: UnsafeMutablePointer<UInt8>
    /// For index i: `sensitiveFlag` / `unindexedFlag` bits from the two name sets.
    let flags: UnsafeMutablePointer<UInt8>
    /// Name map: slot -> first index with that name (0 = empty), with the name's hash beside it.
    let slotIndex: UnsafeMutablePointer<UInt8>
    let slotHash: UnsafeMutablePointer<UInt32>
    static let slotMask = 127

    private init() {
        let fields = Self.fields
        let total = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        bytes = .allocate(capacity: total)
        starts = .allocate(capacity: Self.count + 1)
        nameLengths = .allocate(capacity: Self.count + 1)
        valueLengths = .allocate(capacity: Self.count + 1)
        lastIndexWithName = .allocate(capacity: Self.count + 1)
        flags = .allocate(capacity: Self.count + 1)
        slotIndex = .allocate(capacity: Self.slotMask + 1)
        slotHash = .allocate(capacity: Self.slotMask + 1)
        slotIndex.initialize(repeating: 0, count: Self.slotMask + 1)
        slotHash.initialize(repeating: 0, count: Self.slotMask + 1)
        starts[0] = 0
        nameLengths[0] = 0
        valueLengths[0] = 0
        lastIndexWithName[0] = 0
        flags[0] = 0

        var offset = 0
        for (position, field) in fields.enumerated() {
            let index = position + 1
            starts[index] = UInt16(offset)
            nameLengths[index] = UInt8(field.name.utf8.count)
            valueLengths[index] = UInt8(field.value.utf8.count)
            for byte in Array(field.name.utf8) + Array(field.value.utf8) {
                bytes[offset] = byte
                offset += 1
            }
            flags[index] = (Self.sensitiveNames.contains(field.name) ? Self.sensitiveFlag : 0)
                | (Self.unindexedNames.contains(field.name) ? Self.unindexedFlag : 0)
            let first = fields.firstIndex { $0.name == field.name }! + 1
            lastIndexWithName[first] = UInt8(index)
            lastIndexWithName[index] = UInt8(index)
            if first == index {
                let hash = NameHash.hash(bytes + Int(starts[index]), count: Int(nameLengths[index]))
                var slot = Int(hash) & Self.slotMask
                while slotIndex[slot] != 0 { slot = (slot + 1) & Self.slotMask }
                slotIndex[slot] = UInt8(index)
                slotHash[slot] = hash
            }
        }
        for index in 1...Self.count {
            let first = fields.firstIndex { $0.name == fields[index - 1].name }! + 1
            lastIndexWithName[index] = lastIndexWithName[first]
        }
    }

    /// Finds `name` (with precomputed `hash`) and, among its entries, `value`. Returns the index of
    /// the exact match (0 if none) and the first index with that name (0 if none).
    @inline(__always)
    func find(name: UnsafePointer<UInt8>, nameLength: Int, hash: UInt32,
              value: UnsafePointer<UInt8>, valueLength: Int) -> (full: Int, name: Int) {
        var slot = Int(hash) & Self.slotMask
        while true {
            let index = Int(slotIndex[slot])
            if index == 0 { return (0, 0) }
            if slotHash[slot] == hash && Int(nameLengths[index]) == nameLength
                && memcmp(bytes + Int(starts[index]), name, nameLength) == 0 {
                var candidate = index
                let last = Int(lastIndexWithName[index])
                while candidate <= last {
                    if Int(valueLengths[candidate]) == valueLength
                        && (valueLength == 0
                            || memcmp(bytes + Int(starts[candidate]) + nameLength, value, valueLength) == 0) {
                        return (candidate, index)
                    }
                    candidate += 1
                }
                return (0, index)
            }
            slot = (slot + 1) & Self.slotMask
        }
    }
}
