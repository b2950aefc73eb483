/// A handle to work scheduled on an event loop at a deadline; cancel it to drop the work.
public struct ScheduledTask: Sendable, Hashable {
    let loop: EventLoop
    let id: UInt64

    /// Cancels the work if it has not run yet. Safe from any thread.
    public func cancel() { loop.cancelTimer(id) }

    public static func == (lhs: ScheduledTask, rhs: ScheduledTask) -> Bool { lhs.loop === rhs.loop && lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
