extension Array {
    /// Empties the array and keeps its storage, one `removeLast` per element. For queues that hold one or two
    /// entries at a time: `removeAll(keepingCapacity: true)` goes through `replaceSubrange`, about 150
    /// instructions however few elements there are.
    @inlinable
    package mutating func clearKeepingCapacity() {
        while !isEmpty { removeLast() }
    }
}
