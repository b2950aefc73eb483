import CCourierSystem
import Synchronization
import Dispatch

/// A fixed set of event loops, one thread each, handed out round-robin.
public final class EventLoopGroup: Sendable {
    /// The loops, in creation order.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    /// The number of CPUs this process may run on (respects `taskset`), at least 1.
    public static var defaultLoopCount: Int { max(1, Int(courier_affinity_cpu_count())) }

    /// A process-wide group sized to the available CPUs, started on first use and never shut down.
    public static let shared: EventLoopGroup = {
        do {
            return try EventLoopGroup(loopCount: defaultLoopCount, name: "courier-shared")
        } catch {
            fatalError("cannot start the shared event loops: \(error)")
        }
    }()

    /// Starts `loopCount` loops named `name-0`, `name-1`, …, each polling for readiness up to `idlePollLimit`
    /// before it sleeps (see `EventLoop.defaultIdlePollLimit`; zero never polls).
    public init(loopCount: Int = EventLoopGroup.defaultLoopCount, name: String = "courier-loop",
                idlePollLimit: Duration = EventLoop.defaultIdlePollLimit) throws(ReactorError) {
        precondition(loopCount > 0, "an event loop group needs at least one loop")
        var loops: [EventLoop] = []
        for index in 0..<loopCount {
            do {
                loops.append(try EventLoop(name: "\(name)-\(index)", idlePollLimit: idlePollLimit))
            } catch {
                for loop in loops { loop.syncShutdown() }
                throw error
            }
        }
        self.loops = loops
    }

    /// The next loop in round-robin order.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// The loop the caller runs on if it belongs to this group, otherwise the next one.
    public func any() -> EventLoop {
        if let current = EventLoop.current, loops.contains(where: { $0 === current }) { return current }
        return next()
    }

    /// Shuts every loop down and waits for their threads; must not be called on one of them.
    public func syncShutdown() {
        for loop in loops { loop.syncShutdown() }
    }

    /// Shuts every loop down without blocking the calling task's thread.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.syncShutdown()
                continuation.resume()
            }
        }
    }
}
