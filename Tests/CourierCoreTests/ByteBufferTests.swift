import Testing
import CourierCore

@Suite struct ByteBufferTests {
    @Test func writeAndReadIntegersInNetworkOrder() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(0x01))
        buffer.writeInteger(UInt16(0x0203))
        buffer.writeInteger(UInt32(0x0405_0607))
        buffer.writeInteger(UInt64(0x0809_0a0b_0c0d_0e0f))
        #expect(buffer.readableBytesView.elementsEqual(1...15))
        #expect(buffer.readInteger(as: UInt8.self) == 1)
        #expect(buffer.readInteger(as: UInt16.self) == 0x0203)
        #expect(buffer.readInteger(as: UInt32.self) == 0x0405_0607)
        #expect(buffer.readInteger(as: UInt64.self) == 0x0809_0a0b_0c0d_0e0f)
        #expect(buffer.readInteger(as: UInt8.self) == nil)
    }

    /// Empty buffers share one storage (no allocation); each one's first write takes its own.
    @Test func emptyBuffersShareNothingOnceWritten() {
        var first = ByteBuffer(capacity: 0)
        var second = ByteBuffer(capacity: 0)
        #expect(first.capacity == 0 && first.isEmpty)
        first.writeString("first")
        second.writeString("second")
        #expect(first.readString(length: first.readableBytes) == "first")
        #expect(second.readString(length: second.readableBytes) == "second")
        var third = ByteBuffer(capacity: 0)
        third.clear()
        #expect(third.capacity == 0)
        third.writeInteger(UInt32(7))
        #expect(third.readInteger(as: UInt32.self) == 7)
        #expect(ByteBuffer(capacity: 0).readableBytes == 0)
    }

    @Test func littleEndian() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(0x0102_0304), endianness: .little)
        #expect(Array(buffer.readableBytesView) == [4, 3, 2, 1])
        #expect(buffer.readInteger(endianness: .little, as: UInt32.self) == 0x0102_0304)
    }

    @Test func growsPastInitialCapacity() {
        var buffer = ByteBuffer(capacity: 4)
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
        buffer.writeBytes(bytes)
        #expect(buffer.readableBytes == 10_000)
        #expect(buffer.readBytes(length: 10_000) == bytes)
        #expect(buffer.isEmpty)
    }

    @Test func copiesAreIndependent() {
        var original = ByteBuffer(string: "hello")
        let copy = original
        original.writeString(" world")
        #expect(copy.readableBytes == 5)
        #expect(original.readableBytes == 11)
        #expect(copy.getString(at: 0, length: 5) == "hello")
    }

    @Test func slicesShareUntilWritten() {
        var buffer = ByteBuffer(string: "GET / HTTP/1.1")
        let method = buffer.readSlice(length: 3)!
        #expect(method == ByteBuffer(string: "GET"))
        #expect(buffer.readerIndex == 3)
        var grown = method
        grown.writeString("X")
        #expect(grown == ByteBuffer(string: "GETX"))
        #expect(method == ByteBuffer(string: "GET"))
        #expect(buffer.readString(length: buffer.readableBytes) == " / HTTP/1.1")
    }

    @Test func sliceOfSlice() {
        let buffer = ByteBuffer(string: "abcdefgh")
        let middle = buffer.getSlice(at: 2, length: 4)!
        let inner = middle.getSlice(at: 1, length: 2)!
        #expect(inner == ByteBuffer(string: "de"))
        #expect(buffer.getSlice(at: 6, length: 3) == nil)
        #expect(buffer.getSlice(at: -1, length: 1) == nil)
    }

    @Test func discardReadBytesKeepsReadable() {
        var buffer = ByteBuffer(capacity: 64)
        buffer.writeString("0123456789")
        buffer.moveReaderIndex(forwardBy: 4)
        buffer.discardReadBytes()
        #expect(buffer.readerIndex == 0)
        #expect(buffer.readString(length: 6) == "456789")
    }

    @Test func discardReadBytesOnSharedStorageLeavesOtherCopyIntact() {
        var buffer = ByteBuffer(string: "0123456789")
        let copy = buffer
        buffer.moveReaderIndex(forwardBy: 5)
        buffer.discardReadBytes()
        #expect(buffer == ByteBuffer(string: "56789"))
        #expect(copy == ByteBuffer(string: "0123456789"))
    }

    @Test func reusesConsumedSpaceInsteadOfGrowing() {
        var buffer = ByteBuffer(capacity: 64)
        let capacity = buffer.capacity
        for round in 0..<1000 {
            buffer.writeRepeating(UInt8(truncatingIfNeeded: round), count: 40)
            #expect(buffer.readBytes(length: 40) == [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: 40))
        }
        #expect(buffer.capacity == capacity)
    }

    @Test func setIntegerPatchesLengthPrefix() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(0))
        buffer.writeString("payload")
        buffer.setInteger(UInt16(7), at: 0)
        #expect(buffer.readInteger(as: UInt16.self) == 7)
    }

    @Test func writeWithUnsafeMutableBytes() {
        var buffer = ByteBuffer(capacity: 1)
        let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 100) { region in
            #expect(region.count >= 100)
            for index in 0..<100 { region[index] = UInt8(index) }
            return 100
        }
        #expect(written == 100)
        #expect(buffer.readableBytesView.elementsEqual(0..<100))
    }

    @Test func firstIndexFindsByteFromReaderIndex() {
        var buffer = ByteBuffer(string: "a\r\nb\r\n")
        #expect(buffer.firstIndex(of: UInt8(ascii: "\n")) == 2)
        buffer.moveReaderIndex(forwardBy: 3)
        #expect(buffer.firstIndex(of: UInt8(ascii: "\n")) == 5)
        #expect(buffer.firstIndex(of: UInt8(ascii: "z")) == nil)
    }

    @Test func equalityAndHashingUseReadableBytesOnly() {
        var a = ByteBuffer(string: "xxabc")
        a.moveReaderIndex(forwardBy: 2)
        let b = ByteBuffer(string: "abc")
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ByteBuffer(string: "abd"))
    }

    @Test func clearKeepsCapacityWhenUnique() {
        var buffer = ByteBuffer(capacity: 1024)
        buffer.writeRepeating(1, count: 1000)
        let capacity = buffer.capacity
        buffer.clear()
        #expect(buffer.isEmpty)
        #expect(buffer.capacity == capacity)
    }
}
