/// Counts conformance results per category and prints one summary line per fixture file.
struct ConformanceTally {
    var file: String
    private(set) var counts: [String: (passed: Int, total: Int)] = [:]
    private var order: [String] = []

    init(_ file: String) { self.file = file }

    mutating func record(_ category: String, passed: Bool) {
        if counts[category] == nil { order.append(category) }
        let current = counts[category] ?? (0, 0)
        counts[category] = (current.passed + (passed ? 1 : 0), current.total + 1)
    }

    var allPassed: Bool { counts.values.allSatisfy { $0.passed == $0.total } }

    var summary: String {
        "\(file): " + order.map { "\($0) \(counts[$0]!.passed)/\(counts[$0]!.total)" }.joined(separator: ", ")
    }
}
