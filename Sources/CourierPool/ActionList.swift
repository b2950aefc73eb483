/// A short list of actions that stores its first two elements inline, so the pool's common answers (one
/// request action, one connection action) allocate nothing. Further elements go to an array.
public struct ActionList<Element>: RandomAccessCollection {
    private var first0: Element?
    private var first1: Element?
    private var overflow: [Element]
    /// The number of actions.
    public private(set) var count: Int

    /// An empty list.
    public init() {
        first0 = nil
        first1 = nil
        overflow = []
        count = 0
    }

    /// Adds an action at the end.
    public mutating func append(_ element: Element) {
        switch count {
        case 0: first0 = element
        case 1: first1 = element
        default: overflow.append(element)
        }
        count += 1
    }

    /// Adds the actions of `other` at the end.
    public mutating func append(contentsOf other: ActionList<Element>) {
        for element in other { append(element) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public var isEmpty: Bool { count == 0 }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "ActionList index \(position) out of range 0..<\(count)")
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
