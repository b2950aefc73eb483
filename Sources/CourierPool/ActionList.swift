/// A short list of actions that stores its first two elements inline, so the pool's common answers (one
/// request action, one connection action) allocate nothing. Further elements go to an array.
public struct ActionList<Element>: RandomAccessCollection {
    @usableFromInline var first0: Element?
    @usableFromInline var first1: Element?
    @usableFromInline var overflow: [Element]
    @usableFromInline var storedCount: Int

    /// An empty list.
    @inlinable
    public init() {
        first0 = nil
        first1 = nil
        overflow = []
        storedCount = 0
    }

    /// Adds an action at the end.
    @inlinable
    public mutating func append(_ element: Element) {
        switch storedCount {
        case 0: first0 = element
        case 1: first1 = element
        default: overflow.append(element)
        }
        storedCount += 1
    }

    /// Adds the actions of `other` at the end.
    @inlinable
    public mutating func append(contentsOf other: ActionList<Element>) {
        for element in other { append(element) }
    }

    /// The number of actions.
    @inlinable public var count: Int { storedCount }
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storedCount }
    @inlinable public var isEmpty: Bool { storedCount == 0 }

    @inlinable
    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < storedCount, "ActionList index \(position) out of range 0..<\(storedCount)")
        switch position {
        case 0: return first0.unsafelyUnwrapped
        case 1: return first1.unsafelyUnwrapped
        default: return overflow[position - 2]
        }
    }
}

extension ActionList: ExpressibleByArrayLiteral {
    /// A list of the given actions (mostly for tests).
    public init(arrayLiteral elements: Element...) {
        self.init()
        for element in elements { append(element) }
    }
}

extension ActionList: Equatable where Element: Equatable {
    public static func == (lhs: ActionList, rhs: ActionList) -> Bool { lhs.elementsEqual(rhs) }
}

extension ActionList: Sendable where Element: Sendable {}

extension ActionList: CustomStringConvertible {
    public var description: String { "[" + map { "\($0)" }.joined(separator: ", ") + "]" }
}
