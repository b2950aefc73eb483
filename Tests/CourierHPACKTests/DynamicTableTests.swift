@testable import CourierHPACK
import Testing

/// The dynamic table's rings (wrap, growth, eviction) and hash index against a plain array model.
@Suite struct DynamicTableTests {
    struct Model {
        var entries: [(name: [UInt8], value: [UInt8])] = []  // newest first
        var maxSize: Int

        var size: Int { entries.reduce(0) { $0 + $1.name.count + $1.value.count + 32 } }

        mutating func insert(_ name: [UInt8], _ value: [UInt8]) {
            let entrySize = name.count + value.count + 32
            guard entrySize <= maxSize else {
                entries = []
                return
            }
            while size + entrySize > maxSize { entries.removeLast() }
            entries.insert((name, value), at: 0)
        }

        mutating func setMaxSize(_ size: Int) {
            maxSize = size
            while self.size > maxSize { entries.removeLast() }
        }
    }

    func contents(_ table: DynamicTable) -> [[UInt8]] {
        (0..<table.count).map { position in
            let entry = table.entry(at: position + 1)
            let start = table.bytes! + Int(entry.start)
            return Array(UnsafeBufferPointer(start: start, count: Int(entry.nameLength) + Int(entry.valueLength)))
                + [UInt8(truncatingIfNeeded: entry.nameLength)]
        }
    }

    @Test(arguments: [(hashIndex: false, seed: UInt64(1)), (hashIndex: true, seed: UInt64(2)), (hashIndex: true, seed: UInt64(3))])
    func matchesTheModelThroughWrapsGrowthAndResizes(hashIndex: Bool, seed: UInt64) async {
        var random = SeededGenerator(seed: seed)
        var table = DynamicTable(maxSize: 4096, hashIndex: hashIndex)
        var model = Model(maxSize: 4096)
        let sizes = [4096, 300, 0, 65536, 1000, 64, 4096]
        for step in 0..<20000 {
            if step % 1000 == 0 { await Task.yield() }   // seconds of CPU: share the cooperative threads
            if step % 997 == 996 {
                let size = sizes[(step / 997) % sizes.count]
                table.setMaxSize(size)
                model.setMaxSize(size)
            } else {
                // Mostly short entries, sometimes large ones (up to a third of a 4096 table), some empty.
                let nameLength = Int.random(in: 0...12, using: &random)
                let valueLength = Int.random(in: 0..<20, using: &random) == 0
                    ? Int.random(in: 200...1400, using: &random) : Int.random(in: 0...40, using: &random)
                let name = (0..<nameLength).map { _ in UInt8.random(in: 0x61...0x66, using: &random) }
                let value = (0..<valueLength).map { _ in UInt8.random(in: 0...255, using: &random) }
                let field = name + value
                field.withUnsafeBufferPointer { bytes in
                    table.insert(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, nameLength: nameLength,
                                 valueLength: valueLength,
                                 nameHash: name.withUnsafeBufferPointer {
                                     NameHash.hash($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: nameLength)
                                 })
                }
                model.insert(name, value)
            }
            #expect(table.size == model.size && table.count == model.entries.count, "step \(step)")
            if step % 50 == 0 || step > 19900 {
                let expected = model.entries.map { $0.name + $0.value + [UInt8(truncatingIfNeeded: $0.name.count)] }
                #expect(contents(table) == expected, "step \(step)")
            }
            if hashIndex && !model.entries.isEmpty && step % 7 == 0 {
                // Look up a random live entry: the exact match must be the newest identical entry,
                // the name match the newest entry with that name.
                let probe = model.entries.randomElement(using: &random)!
                let full = (model.entries.firstIndex { $0.name == probe.name && $0.value == probe.value } ?? -1) + 1
                let byName = (model.entries.firstIndex { $0.name == probe.name } ?? -1) + 1
                let found = (probe.name + [0]).withUnsafeBufferPointer { name in
                    (probe.value + [0]).withUnsafeBufferPointer { value in
                        table.find(name: name.baseAddress!, nameLength: probe.name.count,
                                   hash: NameHash.hash(name.baseAddress!, count: probe.name.count),
                                   value: value.baseAddress!, valueLength: probe.value.count)
                    }
                }
                #expect(found.full == full && found.name == byName, "step \(step)")
            }
        }
    }

    @Test func copiesDoNotShareMutations() {
        var table = DynamicTable(maxSize: 4096, hashIndex: true)
        let field = Array("x-ab".utf8)
        field.withUnsafeBufferPointer { table.insert($0.baseAddress!, nameLength: 3, valueLength: 1) }
        var copy = table
        copy.makeUnique()
        field.withUnsafeBufferPointer { copy.insert($0.baseAddress!, nameLength: 2, valueLength: 2) }
        #expect(table.count == 1 && copy.count == 2)
        #expect(contents(table) == [Array("x-ab".utf8) + [3]])
        #expect(contents(copy) == [Array("x-ab".utf8) + [2], Array("x-ab".utf8) + [3]])
    }
}
