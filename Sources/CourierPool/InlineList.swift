/// A list that keeps its first element inline: the pool's per-event work lists hold zero or one element
/// almost always, and an `Array` allocates on its first append (two allocations per request in the pool).
struct InlineList<Element>: Sequence {
    private var head: Element?
    private var tail: [Element] = []

    init() {}

    var isEmpty: Bool { head == nil }

    mutating func append(_ element: Element) {
        if head == nil { head = element } else { tail.append(element) }
    }

    static func += (list: inout InlineList, elements: some Sequence<Element>) {
        for element in elements { list.append(element) }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var head: Element?
        fileprivate var tail: IndexingIterator<[Element]>

        mutating func next() -> Element? {
            if let element = head {
                head = nil
                return element
            }
            return tail.next()
        }
    }

    func makeIterator() -> Iterator { Iterator(head: head, tail: tail.makeIterator()) }
}
