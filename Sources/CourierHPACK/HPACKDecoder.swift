import CourierCore

/// Decodes HPACK header blocks (RFC 7541) into header lists. Sans-I/O: one complete block in (after
/// HTTP/2 has joined HEADERS and CONTINUATION fragments), one `HPACKHeaderList` out.
///
/// Theory of operation: one pass over the block with a cursor. Each representation (§6) is decoded
/// straight into the list's contiguous storage: an indexed field is one `memcpy` of name and value
/// from the static or dynamic table, a literal string is copied or Huffman-decoded in place. A
/// literal with incremental indexing is then copied from the list into the dynamic table, which is
/// why a name referring to an entry that the insertion evicts is still safe (§4.4). Nothing is
/// allocated per field; reusing the list with `decode(_:into:)` allocates nothing per block.
///
/// Limits (each with a default, all checked before memory grows):
/// - `maxHeaderListSize`: sum of name + value + 32 per field (RFC 9113 §6.5.2); stops HPACK bombs,
///   where a small block references a large table entry many times.
/// - `maxFieldSize`: name + value of one field.
/// - `maxAllowedTableSize`: our SETTINGS_HEADER_TABLE_SIZE; size updates above it are errors.
/// When a limit is crossed the decoder keeps processing the rest of the block without storing
/// fields (so the dynamic table stays in step with the peer's encoder), then throws the limit error:
/// HTTP/2 may then fail only the stream. Any other error is COMPRESSION_ERROR for the connection,
/// after which this decoder must not be used again. See `HPACKError`.
public struct HPACKDecoder: Sendable {
    /// Largest decoded header list accepted, counted as name + value + 32 per field (RFC 9113
    /// §6.5.2), the figure our SETTINGS_MAX_HEADER_LIST_SIZE advertises. Default 64 KiB.
    public var maxHeaderListSize: Int
    /// Largest name + value of a single field accepted. Default 16 KiB.
    public var maxFieldSize: Int
    /// Our SETTINGS_HEADER_TABLE_SIZE: the most the peer's size updates may set the table to.
    public private(set) var maxAllowedTableSize: Int
    /// When our setting went below the table's size: the lowest value it took since the last block.
    /// The next block must begin with a size update at or below it (RFC 7541 §4.2).
    var requiredUpdateCeiling: Int?
    var table: DynamicTable

    /// The default `maxHeaderListSize`, 64 KiB.
    public static let defaultMaxHeaderListSize = 65536
    /// The default `maxFieldSize`, 16 KiB.
    public static let defaultMaxFieldSize = 16384
    /// HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE, 4096 (RFC 9113 §6.5.2).
    public static let defaultTableSize = 4096

    /// Creates a decoder. `maxTableSize` is the SETTINGS_HEADER_TABLE_SIZE in force when decoding
    /// starts, and the initial size of the dynamic table; HTTP/2 starts at 4096 and changes it with
    /// `setMaxAllowedTableSize(_:)` once the peer acknowledges our SETTINGS.
    public init(maxHeaderListSize: Int = defaultMaxHeaderListSize, maxFieldSize: Int = defaultMaxFieldSize,
                maxTableSize: Int = defaultTableSize) {
        precondition(maxHeaderListSize >= 0 && maxFieldSize >= 0 && maxTableSize >= 0, "limits must not be negative")
        precondition(maxTableSize <= HPACKInteger.maximum, "table size above 2^32 - 1")
        self.maxHeaderListSize = maxHeaderListSize
        self.maxFieldSize = maxFieldSize
        self.maxAllowedTableSize = maxTableSize
        self.table = DynamicTable(maxSize: maxTableSize, hashIndex: false)
    }

    /// Applies a new SETTINGS_HEADER_TABLE_SIZE of ours, once the peer has acknowledged it. Raising
    /// it lets the peer grow the table with a size update; lowering it below the table's current
    /// size obliges the peer to start its next block with a size update at or below `size`.
    public mutating func setMaxAllowedTableSize(_ size: Int) {
        precondition(size >= 0 && size <= HPACKInteger.maximum, "table size out of range")
        maxAllowedTableSize = size
        if size < table.maxSize { requiredUpdateCeiling = min(requiredUpdateCeiling ?? size, size) }
    }

    /// The dynamic table's current size (name + value + 32 per entry).
    public var dynamicTableSize: Int { table.size }
    /// The dynamic table's size limit, as last set by the peer's size updates.
    public var dynamicTableMaxSize: Int { table.maxSize }
    /// Number of entries in the dynamic table.
    public var dynamicTableCount: Int { table.count }

    /// The dynamic table's entries, newest first (index 62 first), as exact bytes; for diagnostics
    /// and tests.
    public var dynamicTableEntries: HPACKHeaderList {
        var list = HPACKHeaderList(byteCapacity: table.size, fieldCapacity: table.count)
        for position in 0..<table.count {
            let entry = table.entry(at: position + 1)
            let start = UnsafeRawPointer(table.bytes! + Int(entry.start))
            list.append(name: UnsafeRawBufferPointer(start: start, count: Int(entry.nameLength)),
                        value: UnsafeRawBufferPointer(start: start + Int(entry.nameLength), count: Int(entry.valueLength)))
        }
        return list
    }

    /// Decodes one complete header block (the block's readable bytes; the buffer is not consumed).
    /// Allocates a new list; a connection that reuses one list with `decode(_:into:)` allocates nothing.
    public mutating func decode(_ block: ByteBuffer) throws(HPACKError) -> HPACKHeaderList {
        // Indexed fields expand about tenfold, literals barely: 4x the block is a cheap first guess.
        let readable = block.readableBytes
        var list = HPACKHeaderList(byteCapacity: max(256, readable * 4), fieldCapacity: max(8, min(readable, 64)))
        try decode(block, into: &list)
        return list
    }

    /// Decodes one complete header block into `list`, replacing its contents and reusing its
    /// storage. After an error the list holds an unspecified prefix of the fields.
    public mutating func decode(_ block: ByteBuffer, into list: inout HPACKHeaderList) throws(HPACKError) {
        var failure: HPACKError?
        block.withUnsafeReadableBytes { raw in
            do throws(HPACKError) {
                try decode(UnsafeRawBufferPointer(raw), into: &list)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Decodes one complete header block from raw bytes into `list`, replacing its contents.
    public mutating func decode(_ block: UnsafeRawBufferPointer, into list: inout HPACKHeaderList) throws(HPACKError) {
        list.removeAll(keepingCapacity: true)
        table.makeUnique()
        guard let base = block.baseAddress?.assumingMemoryBound(to: UInt8.self), block.count > 0 else {
            if let ceiling = requiredUpdateCeiling {
                throw HPACKError(.tableSizeUpdateMissing, offset: 0, limit: ceiling)
            }
            return
        }
        try decodeFields(base, count: block.count, into: &list)
    }
}
