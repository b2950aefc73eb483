/// The faults of one response, reduced to what the sender needs at each step: the total delay before the
/// head, the drip rate, the first interruption, and the connection-level announcements.
struct FaultPlan: Sendable {
    var delay: Duration = .zero
    var drip: (bytes: Int, interval: Duration)?
    var interruption: (TestFault.Interruption, TestFault.Point)?
    var goAway: (lastStreamID: Int?, errorCode: UInt32)?
    var refuse = false
    var closeAfterResponse = false

    init(_ faults: [TestFault]) {
        for fault in faults {
            switch fault.kind {
            case .delay(let duration):
                delay += duration
            case .drip(let bytes, let interval):
                drip = (bytes, interval)
            case .interrupt(let interruption, let point):
                let point = Self.normalized(point)
                if let current = self.interruption, Self.order(current.1) <= Self.order(point) { continue }
                self.interruption = (interruption, point)
            case .goAway(let lastStreamID, let errorCode):
                goAway = (lastStreamID, errorCode)
            case .refuseStream:
                refuse = true
            case .closeAfterResponse:
                closeAfterResponse = true
            }
        }
    }

    /// Zero body bytes is the moment right after the head.
    private static func normalized(_ point: TestFault.Point) -> TestFault.Point {
        if case .moment(.afterBodyBytes(let count)) = point, count <= 0 { return .moment(.afterHead) }
        return point
    }

    /// Position of a point in the response, for picking the earliest interruption.
    private static func order(_ point: TestFault.Point) -> Int {
        switch point {
        case .moment(.beforeHead): -2
        case .moment(.afterHead): -1
        case .moment(.afterBodyBytes(let count)): count
        case .endOfBody: Int.max
        }
    }

    /// The interruption due before the head, if any.
    var interruptsBeforeHead: TestFault.Interruption? {
        if let (interruption, point) = interruption, point == .moment(.beforeHead) { return interruption }
        return nil
    }

    /// The interruption due right after the head, if any.
    var interruptsAfterHead: TestFault.Interruption? {
        if let (interruption, point) = interruption, point == .moment(.afterHead) { return interruption }
        return nil
    }

    /// The body byte count at which an interruption is due, if one is due inside the body.
    var interruptionOffset: Int? {
        if case .moment(.afterBodyBytes(let count))? = interruption?.1 { return count }
        return nil
    }

    /// Whether the body is sent chunked and cut before its last chunk.
    var truncatesChunked: Bool {
        if case .truncateChunked? = interruption?.0 { return true }
        return false
    }
}
