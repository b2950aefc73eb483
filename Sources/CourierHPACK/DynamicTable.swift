#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HPACK dynamic table (RFC 7541 §2.3.2, §4): a FIFO of fields, newest first for indexing,
/// whose size (name + value + 32 per entry) never exceeds `maxSize`.
///
/// Storage is two rings that grow on demand, so a large SETTINGS allowance costs nothing until used:
/// - a byte ring holding each entry's name and value back to back. An entry that does not fit before
///   the ring's end goes to its start instead (the tail is left unused until the entries before the
///   wrap are evicted), so every entry stays contiguous and is copied with one `memcpy`.
/// - a ring of fixed-size entry records, addressed by insertion sequence number (`seq & mask`).
/// The encoder also keeps a hash index (`bucketHeads` plus a chain link per entry) so that finding a
/// name or a whole field costs a hash and a short chain walk. Chains run newest to oldest and are
/// never unlinked: a walk stops at the first sequence number older than the oldest live entry.
///
/// A struct of plain pointers and counters, so the hot loops pay no dynamic exclusivity checks (as
/// they would for a class's stored properties). The memory belongs to an `Allocation` object; a copy
/// of the table shares it until `makeUnique()`, which the codecs call before every mutation (copy on
/// write), so the codecs stay value types.
struct DynamicTable: @unchecked Sendable {
    // @unchecked Sendable: the pointers are only written through a table whose `allocation` is
    // uniquely referenced (makeUnique() runs before every mutating entry point of the codecs), so two
    // values never mutate shared memory, and shared memory is only read.

    /// Owns the three buffers (immutable references; replaced as a whole when the table grows).
    final class Allocation: Sendable {
        nonisolated(unsafe) let bytes: UnsafeMutablePointer<UInt8>?
        nonisolated(unsafe) let entries: UnsafeMutablePointer<Entry>?
        nonisolated(unsafe) let bucketHeads: UnsafeMutablePointer<Int>?

        init(byteCapacity: Int, entryCapacity: Int, buckets: Bool) {
            bytes = byteCapacity > 0 ? .allocate(capacity: byteCapacity) : nil
            entries = entryCapacity > 0 ? .allocate(capacity: entryCapacity) : nil
            bucketHeads = buckets && entryCapacity > 0 ? .allocate(capacity: entryCapacity) : nil
            bucketHeads?.initialize(repeating: -1, count: entryCapacity)
        }

        deinit {
            bytes?.deallocate()
            entries?.deallocate()
            bucketHeads?.deallocate()
        }
    }

    struct Entry {
        var start: UInt32
        var nameLength: UInt32
        var valueLength: UInt32
        /// `NameHash` of the name (encoder only).
        var nameHash: UInt32
        /// Sequence number of the next older entry in the same hash bucket (encoder only), or -1.
        var olderInBucket: Int
    }

    private var allocation: Allocation

    /// The size limit currently in force (set by size updates), RFC 7541 §4.2.
    private(set) var maxSize: Int
    /// Sum of entry sizes (name + value + 32), RFC 7541 §4.1.
    private(set) var size = 0
    /// Number of entries.
    private(set) var count = 0
    /// Sequence number of the oldest entry; the newest is `oldest + count - 1`.
    private(set) var oldest = 0

    private(set) var bytes: UnsafeMutablePointer<UInt8>?
    private var byteCapacity = 0
    /// Where the next entry's bytes go when it fits there.
    private var writePosition = 0
    /// Whether entries wrapped to the ring's start; then entries from `wrapSeq` on live in
    /// [0, writePosition) and older ones in [oldest's start, end of the ring).
    private var wrapped = false
    private var wrapSeq = 0

    private(set) var entries: UnsafeMutablePointer<Entry>?
    private(set) var entryMask = -1

    /// Whether the encoder's hash index is maintained.
    let hashIndex: Bool
    private(set) var bucketHeads: UnsafeMutablePointer<Int>?
    private(set) var bucketMask = -1

    init(maxSize: Int, hashIndex: Bool) {
        self.maxSize = maxSize
        self.hashIndex = hashIndex
        self.allocation = Allocation(byteCapacity: 0, entryCapacity: 0, buckets: false)
    }

    /// Gives this table its own memory if it shares it with a copy (copy on write).
    @inline(__always)
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&allocation) {
            let source = self
            rebuild(from: source, byteCapacity: byteCapacity, entryCapacity: entryMask + 1)
        }
    }

    /// The entry at dynamic index `index` (1 = newest), which must be in 1...count.
    @inline(__always)
    func entry(at index: Int) -> Entry {
        entries.unsafelyUnwrapped[(oldest &+ count &- index) & entryMask]
    }

    /// The dynamic index (1 = newest) of the entry with sequence number `seq`.
    @inline(__always)
    func index(ofSequence seq: Int) -> Int { oldest &+ count &- seq }

    /// Changes the size limit, evicting oldest entries until the table fits (RFC 7541 §4.3).
    mutating func setMaxSize(_ newMaxSize: Int) {
        maxSize = newMaxSize
        while size > maxSize { evictOldest() }
    }

    /// Adds a field whose name and value are the `nameLength + valueLength` octets at `source`,
    /// evicting as RFC 7541 §4.4 says. An entry larger than `maxSize` empties the table and is not
    /// added. `source` must not point into this table (callers copy the field out first).
    mutating func insert(_ source: UnsafePointer<UInt8>, nameLength: Int, valueLength: Int, nameHash: UInt32 = 0) {
        let entrySize = nameLength + valueLength + 32
        guard entrySize <= maxSize else {
            while count > 0 { evictOldest() }
            return
        }
        while size + entrySize > maxSize { evictOldest() }
        let length = nameLength + valueLength
        if count == entryMask + 1 { grow(entryCapacity: max(16, 2 * (entryMask + 1)), extraBytes: length) }
        let seq = oldest + count
        var position = place(length, seq: seq)
        if position < 0 {
            grow(entryCapacity: entryMask + 1, extraBytes: length)
            position = place(length, seq: seq)
        }
        if length > 0 { (bytes.unsafelyUnwrapped + position).update(from: source, count: length) }
        writePosition = position + length
        var entry = Entry(start: UInt32(position), nameLength: UInt32(nameLength), valueLength: UInt32(valueLength),
                          nameHash: nameHash, olderInBucket: -1)
        if hashIndex {
            let bucket = Int(nameHash) & bucketMask
            entry.olderInBucket = bucketHeads.unsafelyUnwrapped[bucket]
            bucketHeads.unsafelyUnwrapped[bucket] = seq
        }
        entries.unsafelyUnwrapped[seq & entryMask] = entry
        count += 1
        size += entrySize
    }

    /// Where `length` octets fit without growing, or -1. Records a wrap when it places at 0.
    private mutating func place(_ length: Int, seq: Int) -> Int {
        guard count > 0 else {
            wrapped = false
            return length <= byteCapacity ? 0 : -1
        }
        let oldestStart = Int(entries.unsafelyUnwrapped[oldest & entryMask].start)
        if wrapped { return writePosition + length <= oldestStart ? writePosition : -1 }
        if writePosition + length <= byteCapacity { return writePosition }
        if length <= oldestStart {
            wrapped = true
            wrapSeq = seq
            return 0
        }
        return -1
    }

    private mutating func evictOldest() {
        let entry = entries.unsafelyUnwrapped[oldest & entryMask]
        size -= Int(entry.nameLength) + Int(entry.valueLength) + 32
        oldest += 1
        count -= 1
        if count == 0 {
            writePosition = 0
            wrapped = false
        } else if wrapped && oldest == wrapSeq {
            wrapped = false
        }
    }

    /// Reallocates both rings (entries compacted to the start of the byte ring) with room for at
    /// least `extraBytes` more octets and `entryCapacity` entries.
    private mutating func grow(entryCapacity: Int, extraBytes: Int) {
        var live = 0
        for seq in oldest..<(oldest + count) {
            let entry = entries.unsafelyUnwrapped[seq & entryMask]
            live += Int(entry.nameLength) + Int(entry.valueLength)
        }
        var newByteCapacity = max(64, byteCapacity)
        while newByteCapacity < 2 * (live + extraBytes) { newByteCapacity *= 2 }
        let source = self  // keeps the old allocation alive while copying out of it
        rebuild(from: source, byteCapacity: newByteCapacity, entryCapacity: entryCapacity)
    }

    /// Replaces this table's memory with new rings of the given capacities holding `source`'s
    /// entries, compacted (`source` may be this table's previous value).
    private mutating func rebuild(from source: DynamicTable, byteCapacity newByteCapacity: Int, entryCapacity: Int) {
        precondition(entryCapacity & (entryCapacity - 1) == 0, "entry capacity must be a power of two")
        allocation = Allocation(byteCapacity: newByteCapacity, entryCapacity: entryCapacity, buckets: hashIndex)
        maxSize = source.maxSize
        size = source.size
        count = source.count
        oldest = source.oldest
        wrapped = false
        byteCapacity = newByteCapacity
        bytes = allocation.bytes
        entryMask = entryCapacity - 1
        entries = allocation.entries
        bucketHeads = allocation.bucketHeads
        bucketMask = bucketHeads != nil ? entryCapacity - 1 : -1
        var position = 0
        for seq in oldest..<(oldest + count) {
            var entry = source.entries.unsafelyUnwrapped[seq & source.entryMask]
            let length = Int(entry.nameLength) + Int(entry.valueLength)
            if length > 0 {
                (bytes.unsafelyUnwrapped + position).update(from: source.bytes.unsafelyUnwrapped + Int(entry.start),
                                                            count: length)
            }
            entry.start = UInt32(position)
            if hashIndex {
                let bucket = Int(entry.nameHash) & bucketMask
                entry.olderInBucket = bucketHeads.unsafelyUnwrapped[bucket]
                bucketHeads.unsafelyUnwrapped[bucket] = seq
            }
            entries.unsafelyUnwrapped[seq & entryMask] = entry
            position += length
        }
        writePosition = position
    }

    /// Finds a field in the table through the hash index (encoder only). Returns the dynamic index
    /// (1 = newest) of an exact match and of the newest entry with the same name, 0 when none.
    @inline(__always)
    func find(name: UnsafePointer<UInt8>, nameLength: Int, hash: UInt32,
              value: UnsafePointer<UInt8>, valueLength: Int) -> (full: Int, name: Int) {
        guard count > 0 else { return (0, 0) }
        let entries = entries.unsafelyUnwrapped
        let bytes = bytes.unsafelyUnwrapped
        var nameMatch = 0
        var seq = bucketHeads.unsafelyUnwrapped[Int(hash) & bucketMask]
        while seq >= oldest {
            let entry = entries[seq & entryMask]
            if entry.nameHash == hash && Int(entry.nameLength) == nameLength
                && memcmp(bytes + Int(entry.start), name, nameLength) == 0 {
                if Int(entry.valueLength) == valueLength
                    && (valueLength == 0 || memcmp(bytes + Int(entry.start) + nameLength, value, valueLength) == 0) {
                    return (index(ofSequence: seq), nameMatch != 0 ? nameMatch : index(ofSequence: seq))
                }
                if nameMatch == 0 { nameMatch = index(ofSequence: seq) }
            }
            seq = entry.olderInBucket
        }
        return (0, nameMatch)
    }
}
