extension Array {
    /// Empties the array and keeps its storage. `removeAll(keepingCapacity: true)` goes through
    /// `replaceSubrange`, about 150 instructions however few the elements; the queues this serves mostly hold
    /// one or two, so a few elements are removed one by one and longer arrays take the general call.
    @inlinable
    package mutating func clearKeepingCapacity() {
        guard count <= 8 else { return removeAll(keepingCapacity: true) }
        while !isEmpty { removeLast() }
    }
}
