/// Faults requested in a built-in route's query, so peers without access to the server object (curl, other
/// processes) can ask for them:
///
/// - `delay=MS`: wait before the head.
/// - `drip=BYTES:MS`: send the body `BYTES` at a time, `MS` apart.
/// - `fault=drop|drop-no-notify|reset|stall|truncate|refuse|close-after|goaway`, with `at=before-head|after-head|N`
///   (N body bytes) for drop, reset, stall and truncate. Defaults: before the head for drop and reset, after the
///   head for stall, the end of the body for truncate.
enum QueryFaults {
    static func parse(_ request: TestRequest) throws -> [TestFault] {
        var faults: [TestFault] = []
        if let delay = try BuiltinRoutes.integer(request.queryValue("delay"), "delay", in: 0...3_600_000) {
            faults.append(.delay(.milliseconds(delay)))
        }
        if let drip = request.queryValue("drip") {
            let parts = drip.split(separator: ":")
            guard parts.count == 2, let bytes = Int(parts[0]), bytes > 0, let milliseconds = Int(parts[1]), milliseconds >= 0 else {
                throw BuiltinRoutes.BadParameter(description: "drip must be BYTES:MS, got '\(drip)'")
            }
            faults.append(.drip(bytes: bytes, every: .milliseconds(milliseconds)))
        }
        guard let name = request.queryValue("fault") else { return faults }
        let moment = try self.moment(request.queryValue("at"))
        switch name {
        case "drop": faults.append(.dropConnection(at: moment ?? .beforeHead))
        case "drop-no-notify": faults.append(.dropConnection(at: moment ?? .beforeHead, closeNotify: false))
        case "reset": faults.append(.reset(at: moment ?? .beforeHead))
        case "stall": faults.append(.stall(at: moment ?? .afterHead))
        case "truncate":
            switch moment {
            case nil: faults.append(.truncateChunkedBody())
            case .afterBodyBytes(let count)?: faults.append(.truncateChunkedBody(afterBodyBytes: count))
            case .afterHead?: faults.append(.truncateChunkedBody(afterBodyBytes: 0))
            case .beforeHead?: throw BuiltinRoutes.BadParameter(description: "truncate happens inside the body")
            }
        case "refuse": faults.append(.refuseStream)
        case "close-after": faults.append(.closeAfterResponse)
        case "goaway": faults.append(.goAway())
        default:
            throw BuiltinRoutes.BadParameter(description: "unknown fault '\(name)'")
        }
        return faults
    }

    private static func moment(_ text: String?) throws -> TestFault.Moment? {
        switch text {
        case nil: return nil
        case "before-head": return .beforeHead
        case "after-head": return .afterHead
        case let text?:
            guard let count = Int(text), count >= 0 else {
                throw BuiltinRoutes.BadParameter(description: "at must be before-head, after-head or a byte count, got '\(text)'")
            }
            return .afterBodyBytes(count)
        }
    }
}
