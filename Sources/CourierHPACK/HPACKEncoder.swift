import CourierCore

/// Encodes header lists into HPACK header blocks (RFC 7541). Sans-I/O: a header list in, bytes
/// appended to a `ByteBuffer` out, one block per call (HTTP/2 splits it into frames).
///
/// Per field, in order of preference:
/// 1. an exact match in the static or dynamic table becomes one indexed representation (§6.1),
///    except for never-indexed fields;
/// 2. otherwise a literal (§6.2) naming the table entry with the same name when there is one;
///    it is added to the dynamic table (incremental indexing) when the caller left the choice to
///    us, the name is not one whose values change per message (`:path`, `content-length`, `etag`,
///    …), and the entry would take at most 3/4 of the table;
/// 3. `authorization`, `proxy-authorization`, `cookie` and fields the caller marks `.neverIndexed`
///    are always never-indexed literals (§6.2.3, §7.1.3).
/// Strings are Huffman-coded when that is shorter. Lookups go through hash maps (static names and
/// the dynamic table's index), never a scan. Names are used as given: HTTP/2 wants them lowercase.
public struct HPACKEncoder: Sendable {
    /// The most of the peer's SETTINGS_HEADER_TABLE_SIZE this encoder will use.
    public let preferredMaxTableSize: Int
    /// The peer's SETTINGS_HEADER_TABLE_SIZE (4096 until told otherwise).
    public private(set) var peerMaxTableSize: Int
    /// Whether strings are Huffman-coded when that makes them shorter.
    public var useHuffman: Bool
    var table: DynamicTable
    /// Size updates owed at the start of the next block: the smallest size the table had to go down
    /// to since the last block, and the final size (RFC 7541 §4.2).
    var pendingMinimumSize: Int?
    var pendingFinalSize: Int?
    /// Reused to hold `HPACKHeaderField`s given to `encode(_:into:)` as bytes.
    var scratch = HPACKHeaderList(byteCapacity: 512, fieldCapacity: 16)

    /// Creates an encoder. `maxTableSize` caps the dynamic table whatever the peer allows (default
    /// 4096, HTTP/2's initial value; 0 disables the dynamic table). `useHuffman` is on by default.
    public init(maxTableSize: Int = 4096, useHuffman: Bool = true) {
        precondition(maxTableSize >= 0 && maxTableSize <= HPACKInteger.maximum, "table size out of range")
        preferredMaxTableSize = maxTableSize
        peerMaxTableSize = HPACKDecoder.defaultTableSize
        self.useHuffman = useHuffman
        table = DynamicTable(maxSize: HPACKDecoder.defaultTableSize, hashIndex: true)
        schedule(min(maxTableSize, peerMaxTableSize))
    }

    /// Applies the peer's new SETTINGS_HEADER_TABLE_SIZE. The dynamic table size update(s) that
    /// announce the change are emitted at the start of the next block.
    public mutating func setPeerMaxTableSize(_ size: Int) {
        precondition(size >= 0 && size <= HPACKInteger.maximum, "table size out of range")
        peerMaxTableSize = size
        schedule(min(size, preferredMaxTableSize))
    }

    private mutating func schedule(_ size: Int) {
        guard size != table.maxSize || pendingFinalSize != nil else { return }
        pendingMinimumSize = min(pendingMinimumSize ?? size, size)
        pendingFinalSize = size
    }

    /// The dynamic table's current size (name + value + 32 per entry).
    public var dynamicTableSize: Int { table.size }
    /// The dynamic table's size limit (after the updates emitted so far).
    public var dynamicTableMaxSize: Int { table.maxSize }
    /// Number of entries in the dynamic table.
    public var dynamicTableCount: Int { table.count }

    /// Encodes `headers` as one header block appended to `buffer`.
    public mutating func encode(_ headers: HPACKHeaderList, into buffer: inout ByteBuffer) {
        table.makeUnique()
        let bound = 12 + headers.storage.readableBytes + 16 * headers.count
        headers.storage.withUnsafeReadableBytes { stored in
            let fields = stored.baseAddress?.assumingMemoryBound(to: UInt8.self)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { region in
                let out = region.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var written = writePendingSizeUpdates(into: out)
                for record in headers.records {
                    let name = fields.unsafelyUnwrapped + Int(record.start)
                    written += encodeField(name: name, nameLength: Int(record.nameLength),
                                           value: name + Int(record.nameLength), valueLength: Int(record.valueLength),
                                           indexing: record.indexing, into: out + written)
                }
                return written
            }
        }
    }

    /// Encodes `fields` as one header block appended to `buffer` (their bytes are first gathered
    /// into a reused internal list, so this allocates nothing per field either).
    public mutating func encode(_ fields: some Sequence<HPACKHeaderField>, into buffer: inout ByteBuffer) {
        scratch.removeAll(keepingCapacity: true)
        for field in fields { scratch.append(field) }
        let list = scratch
        encode(list, into: &buffer)
    }

    private mutating func writePendingSizeUpdates(into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let final = pendingFinalSize, let minimum = pendingMinimumSize else { return 0 }
        pendingFinalSize = nil
        pendingMinimumSize = nil
        var written = 0
        if minimum < min(final, table.maxSize) {
            written += HPACKInteger.encode(minimum, prefixMask: 0x1f, flags: 0x20, into: out)
            table.setMaxSize(minimum)
        }
        written += HPACKInteger.encode(final, prefixMask: 0x1f, flags: 0x20, into: out + written)
        table.setMaxSize(final)
        return written
    }

    /// Encodes one field at `out` (room for name + value + 16 octets) and returns the octets written.
    @inline(__always)
    private mutating func encodeField(name: UnsafePointer<UInt8>, nameLength: Int,
                                      value: UnsafePointer<UInt8>, valueLength: Int,
                                      indexing: HPACKIndexing, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let statics = StaticTable.shared
        let hash = NameHash.hash(name, count: nameLength)
        let staticMatch = statics.find(name: name, nameLength: nameLength, hash: hash, value: value,
                                       valueLength: valueLength)
        let policy = staticMatch.name != 0 ? statics.flags[staticMatch.name] : 0
        let neverIndexed = indexing == .neverIndexed || policy & StaticTable.sensitiveFlag != 0
        if staticMatch.full != 0 && !neverIndexed {
            return HPACKInteger.encode(staticMatch.full, prefixMask: 0x7f, flags: 0x80, into: out)
        }
        var nameIndex = staticMatch.name
        if !(neverIndexed && nameIndex != 0) {
            let dynamicMatch = table.find(name: name, nameLength: nameLength, hash: hash, value: value,
                                          valueLength: valueLength)
            if dynamicMatch.full != 0 && !neverIndexed {
                return HPACKInteger.encode(dynamicMatch.full + StaticTable.count, prefixMask: 0x7f, flags: 0x80,
                                           into: out)
            }
            if nameIndex == 0 && dynamicMatch.name != 0 { nameIndex = dynamicMatch.name + StaticTable.count }
        }
        let entrySize = nameLength + valueLength + 32
        let incremental = !neverIndexed && indexing == .indexable && policy & StaticTable.unindexedFlag == 0
            && entrySize <= table.maxSize / 4 * 3
        var written: Int
        if incremental {
            written = HPACKInteger.encode(nameIndex, prefixMask: 0x3f, flags: 0x40, into: out)
        } else {
            written = HPACKInteger.encode(nameIndex, prefixMask: 0x0f, flags: neverIndexed ? 0x10 : 0x00, into: out)
        }
        if nameIndex == 0 { written += writeString(name, count: nameLength, into: out + written) }
        written += writeString(value, count: valueLength, into: out + written)
        if incremental { table.insert(name, nameLength: nameLength, valueLength: valueLength, nameHash: hash) }
        return written
    }

    /// Writes a string literal (§5.2), Huffman-coded when that is shorter.
    @inline(__always)
    private func writeString(_ bytes: UnsafePointer<UInt8>, count: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        if useHuffman && count > 0 {
            let encodedLength = HuffmanEncoder.encodedLength(bytes, count: count)
            if encodedLength < count {
                let prefix = HPACKInteger.encode(encodedLength, prefixMask: 0x7f, flags: 0x80, into: out)
                return prefix + HuffmanEncoder.encode(bytes, count: count, into: out + prefix)
            }
        }
        let prefix = HPACKInteger.encode(count, prefixMask: 0x7f, flags: 0x00, into: out)
        if count > 0 { (out + prefix).update(from: bytes, count: count) }
        return prefix + count
    }
}
