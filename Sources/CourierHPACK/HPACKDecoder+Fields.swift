import CourierCore

extension HPACKDecoder {
    /// The representations of RFC 7541 §6, by the high bits of their first octet.
    @inline(__always)
    private static func indexing(forLiteral octet: UInt8) -> HPACKIndexing {
        if octet & 0x40 != 0 { return .indexable }
        return octet & 0x10 != 0 ? .neverIndexed : .withoutIndexing
    }

    /// The decoding loop over one block (see the type's theory of operation).
    mutating func decodeFields(_ bytes: UnsafePointer<UInt8>, count: Int,
                               into list: inout HPACKHeaderList) throws(HPACKError) {
        let statics = StaticTable.shared
        var position = 0
        var sawField = false
        var smallestUpdate = Int.max
        // Set once a limit is crossed: fields are then validated and applied to the table, not stored.
        var limitError: HPACKError?

        while position < count {
            let start = position
            let octet = bytes[position]

            if octet & 0xe0 == 0x20 {  // Dynamic table size update (§6.3)
                guard !sawField else { throw HPACKError(.tableSizeUpdateNotFirst, offset: start) }
                let size = try HPACKInteger.decode(bytes, count: count, position: &position, prefixMask: 0x1f)
                guard size <= maxAllowedTableSize else {
                    throw HPACKError(.tableSizeAboveLimit, offset: start, value: size, limit: maxAllowedTableSize)
                }
                smallestUpdate = min(smallestUpdate, size)
                table.setMaxSize(size)
                continue
            }
            if !sawField {
                sawField = true
                try checkRequiredUpdate(smallestUpdate)
            }

            let fieldStart = list.storage.writerIndex
            let nameLength: Int
            let valueLength: Int
            let indexing: HPACKIndexing

            if octet & 0x80 != 0 {  // Indexed header field (§6.1)
                let index = try HPACKInteger.decode(bytes, count: count, position: &position, prefixMask: 0x7f)
                let source: UnsafePointer<UInt8>
                if index != 0 && index <= StaticTable.count {
                    source = UnsafePointer(statics.bytes + Int(statics.starts[index]))
                    nameLength = Int(statics.nameLengths[index])
                    valueLength = Int(statics.valueLengths[index])
                } else if index > StaticTable.count && index - StaticTable.count <= table.count {
                    let entry = table.entry(at: index - StaticTable.count)
                    source = UnsafePointer(table.bytes.unsafelyUnwrapped + Int(entry.start))
                    nameLength = Int(entry.nameLength)
                    valueLength = Int(entry.valueLength)
                } else {
                    throw HPACKError(.invalidIndex, offset: start, value: index,
                                     limit: StaticTable.count + table.count)
                }
                indexing = .indexable
                // Limits are checked before copying: this is what stops a bomb of repeated references.
                if limitError == nil {
                    limitError = checkLimits(list, nameLength: nameLength, valueLength: valueLength, offset: start)
                    if limitError == nil {
                        list.storage.writeBytes(UnsafeRawBufferPointer(start: source, count: nameLength + valueLength))
                    }
                }
                if limitError != nil { continue }
            } else {  // Literal header field (§6.2): name index or literal name, then the value
                let prefixMask: UInt8 = octet & 0x40 != 0 ? 0x3f : 0x0f
                indexing = Self.indexing(forLiteral: octet)
                let nameIndex = try HPACKInteger.decode(bytes, count: count, position: &position, prefixMask: prefixMask)
                if nameIndex == 0 {
                    nameLength = try readString(bytes, count: count, position: &position, into: &list.storage)
                } else if nameIndex <= StaticTable.count {
                    nameLength = Int(statics.nameLengths[nameIndex])
                    list.storage.writeBytes(UnsafeRawBufferPointer(start: statics.bytes + Int(statics.starts[nameIndex]),
                                                                   count: nameLength))
                } else if nameIndex - StaticTable.count <= table.count {
                    let entry = table.entry(at: nameIndex - StaticTable.count)
                    nameLength = Int(entry.nameLength)
                    list.storage.writeBytes(UnsafeRawBufferPointer(start: table.bytes.unsafelyUnwrapped + Int(entry.start),
                                                                   count: nameLength))
                } else {
                    throw HPACKError(.invalidIndex, offset: start, value: nameIndex, limit: StaticTable.count + table.count)
                }
                valueLength = try readString(bytes, count: count, position: &position, into: &list.storage)

                if indexing == .indexable {
                    list.storage.withUnsafeReadableBytes { stored in
                        let field = stored.baseAddress!.assumingMemoryBound(to: UInt8.self) + fieldStart
                        table.insert(field, nameLength: nameLength, valueLength: valueLength)
                    }
                }
                if limitError == nil {
                    limitError = checkLimits(list, nameLength: nameLength, valueLength: valueLength, offset: start)
                }
                if limitError != nil {
                    list.storage.moveWriterIndex(to: fieldStart)
                    continue
                }
            }
            list.records.append(HPACKHeaderList.Record(start: UInt32(fieldStart), nameLength: UInt32(nameLength),
                                                       valueLength: UInt32(valueLength), indexing: indexing))
            list._headerListSize += nameLength + valueLength + 32
        }
        if !sawField { try checkRequiredUpdate(smallestUpdate) }
        if let limitError { throw limitError }
    }

    /// At the first field of a block: if our setting shrank below the table, the block must have
    /// begun with a size update at or below the smallest value it took (RFC 7541 §4.2).
    @inline(__always)
    private mutating func checkRequiredUpdate(_ smallestUpdate: Int) throws(HPACKError) {
        guard let ceiling = requiredUpdateCeiling else { return }
        guard smallestUpdate <= ceiling else {
            throw HPACKError(.tableSizeUpdateMissing, offset: 0, value: smallestUpdate == .max ? nil : smallestUpdate,
                             limit: ceiling)
        }
        requiredUpdateCeiling = nil
    }

    @inline(__always)
    private func checkLimits(_ list: HPACKHeaderList, nameLength: Int, valueLength: Int, offset: Int) -> HPACKError? {
        let length = nameLength + valueLength
        if length > maxFieldSize {
            return HPACKError(.fieldTooLarge, offset: offset, value: length, limit: maxFieldSize)
        }
        // Lists stay under 2 GiB whatever the configuration, so their 32-bit offsets cannot overflow.
        let limit = min(maxHeaderListSize, Int(Int32.max))
        if list.headerListSize + length + 32 > limit {
            return HPACKError(.headerListTooLarge, offset: offset, value: list.headerListSize + length + 32, limit: limit)
        }
        return nil
    }

    /// Reads a string literal (§5.2) at `position` and appends its octets (Huffman-decoded if
    /// flagged) to `output`, returning how many were appended.
    @inline(__always)
    private func readString(_ bytes: UnsafePointer<UInt8>, count: Int, position: inout Int,
                            into output: inout ByteBuffer) throws(HPACKError) -> Int {
        let start = position
        guard position < count else { throw HPACKError(.truncated, offset: start) }
        let huffman = bytes[position] & 0x80 != 0
        let length = try HPACKInteger.decode(bytes, count: count, position: &position, prefixMask: 0x7f)
        guard length <= count - position else {
            throw HPACKError(.truncated, offset: start, value: length, limit: count - position)
        }
        let source = bytes + position
        position += length
        if !huffman {
            output.writeBytes(UnsafeRawBufferPointer(start: source, count: length))
            return length
        }
        var valid = true
        let written = output.writeWithUnsafeMutableBytes(
            minimumWritableBytes: HuffmanDecoder.outputCapacity(forEncodedLength: length)
        ) { region in
            guard let decoded = HuffmanDecoder.decode(source, count: length,
                                                      into: region.baseAddress!.assumingMemoryBound(to: UInt8.self))
            else {
                valid = false
                return 0
            }
            return decoded
        }
        guard valid else { throw HPACKError(.invalidHuffman, offset: start) }
        return written
    }
}
