import Courier
import CourierCore

/// The progress line drawn on standard error (a terminal) while a body downloads to a file: percentage and
/// bar when the length is known, bytes, rate and time left. Redrawn at most ten times a second.
struct ProgressBar {
    private let expectedBytes: Int?
    private let start: Timestamp
    private var lastDraw: Timestamp?
    private var lastWidth = 0
    private static let redrawInterval: UInt64 = 100_000_000
    private static let barWidth = 24

    init(expectedBytes: Int?, start: Timestamp = SystemClock.now()) {
        self.expectedBytes = expectedBytes
        self.start = start
    }

    /// Notes that `received` bytes have arrived; redraws if the last drawing is old enough.
    mutating func update(received: Int) {
        let now = SystemClock.now()
        if let lastDraw, now.nanoseconds &- lastDraw.nanoseconds < Self.redrawInterval { return }
        lastDraw = now
        draw(received: received, now: now)
    }

    /// Draws the final state and ends the line.
    mutating func finish(received: Int) {
        draw(received: received, now: SystemClock.now())
        StandardError.write("\n")
    }

    private mutating func draw(received: Int, now: Timestamp) {
        let seconds = Double(now.nanoseconds &- start.nanoseconds) / 1e9
        let rate = seconds > 0 ? Double(received) / seconds : 0
        var line = ""
        if let expectedBytes, expectedBytes > 0 {
            let fraction = min(1, Double(received) / Double(expectedBytes))
            let filled = Int(fraction * Double(Self.barWidth))
            let percent = String(Int(fraction * 100))
            line += String(repeating: " ", count: 3 - percent.count) + percent + "% ["
            line += String(repeating: "#", count: filled) + String(repeating: "-", count: Self.barWidth - filled) + "] "
            line += Self.bytes(received) + " / " + Self.bytes(expectedBytes)
        } else {
            line += Self.bytes(received)
        }
        line += "  " + Self.bytes(Int(rate)) + "/s"
        if let expectedBytes, rate > 0, received < expectedBytes {
            line += "  ETA " + Self.clock(Double(expectedBytes - received) / rate)
        } else {
            line += "  " + Self.clock(seconds)
        }
        let padding = max(0, lastWidth - line.count)
        lastWidth = line.count
        StandardError.write("\r" + line + String(repeating: " ", count: padding))
    }

    /// `count` bytes in binary units, one decimal (`12.3 MiB`).
    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        guard unit > 0 else { return "\(count) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) " + units[unit]
    }

    /// `seconds` as `m:ss` (or `h:mm:ss`).
    static func clock(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999).rounded())
        let hours = total / 3600, minutes = total / 60 % 60, rest = total % 60
        let ss = rest < 10 ? "0\(rest)" : "\(rest)"
        if hours > 0 { return "\(hours):" + (minutes < 10 ? "0\(minutes)" : "\(minutes)") + ":" + ss }
        return "\(minutes):" + ss
    }
}
