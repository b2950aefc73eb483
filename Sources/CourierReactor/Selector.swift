import CCourierSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a registered descriptor wants to hear about.
struct SelectorInterest: OptionSet, Hashable {
    let rawValue: UInt8
    static let read = SelectorInterest(rawValue: 1)
    static let write = SelectorInterest(rawValue: 2)
}

/// What happened to a registered descriptor.
struct SelectorEvent {
    var fd: Int32
    var registrationID: UInt32
    var readable: Bool
    var writable: Bool
    /// Error or hang-up: the handler should read (to learn EOF or the error) and will then close.
    var failed: Bool
}

/// The only code that touches epoll. Level-triggered; each registration carries an id packed beside the fd
/// in epoll's user data, so an event for a descriptor that was closed and reused in the same batch is dropped.
/// An eventfd wakes the loop when work arrives from another thread. Owned by one event loop; only
/// `wakeUp()` is called from other threads. The loop closes it when its thread ends, so a stopped loop
/// holds no descriptor however long the object lives.
final class Selector {
    let epollFD: Int32
    let wakeupFD: Int32
    private var events: UnsafeMutablePointer<epoll_event>
    private let eventCapacity: Int32 = 256
    /// `closedFlag` once closed, plus the number of `wakeUp` calls in progress: `close` waits for those to
    /// finish so that no wake-up ever writes to a closed (and possibly reused) descriptor number.
    private let wakeState = Atomic<Int>(0)
    private static let closedFlag = 1 << 40

    init() throws(ReactorError) {
        let epoll = try SystemCalls.call("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        let wakeup: Int32
        do {
            wakeup = try SystemCalls.call("eventfd") { eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)) }
        } catch {
            SystemCalls.close(epoll)
            throw error
        }
        epollFD = epoll
        wakeupFD = wakeup
        events = .allocate(capacity: Int(eventCapacity))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.pack(fd: wakeupFD, id: 0)
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeupFD, &event)
    }

    deinit {
        close()
        events.deallocate()
    }

    /// Closes both descriptors once; later calls and later registrations or wake-ups do nothing.
    /// Called on the loop thread (or from `deinit`).
    func close() {
        let previous = wakeState.bitwiseOr(Self.closedFlag, ordering: .acquiringAndReleasing).oldValue
        guard previous & Self.closedFlag == 0 else { return }
        while wakeState.load(ordering: .acquiring) != Self.closedFlag { sched_yield() }
        SystemCalls.close(wakeupFD)
        SystemCalls.close(epollFD)
    }

    private var isClosed: Bool { wakeState.load(ordering: .relaxed) & Self.closedFlag != 0 }

    private static func pack(fd: Int32, id: UInt32) -> UInt64 { UInt64(id) << 32 | UInt64(UInt32(bitPattern: fd)) }

    private static func mask(_ interest: SelectorInterest) -> UInt32 {
        var mask: UInt32 = 0
        if interest.contains(.read) { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.write) { mask |= EPOLLOUT.rawValue }
        return mask
    }

    func register(fd: Int32, id: UInt32, interest: SelectorInterest) throws(ReactorError) {
        guard !isClosed else { throw ReactorError(.loopShutDown, context: "register fd \(fd)") }
        var event = epoll_event()
        event.events = Self.mask(interest)
        event.data.u64 = Self.pack(fd: fd, id: id)
        _ = try SystemCalls.call("epoll_ctl(ADD, \(fd))") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
    }

    func reregister(fd: Int32, id: UInt32, interest: SelectorInterest) throws(ReactorError) {
        guard !isClosed else { throw ReactorError(.loopShutDown, context: "reregister fd \(fd)") }
        var event = epoll_event()
        event.events = Self.mask(interest)
        event.data.u64 = Self.pack(fd: fd, id: id)
        _ = try SystemCalls.call("epoll_ctl(MOD, \(fd))") { epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) }
    }

    func deregister(fd: Int32) {
        guard !isClosed else { return }
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
    }

    /// Writes to the eventfd so a blocked `wait` returns. Safe from any thread.
    func wakeUp() {
        let previous = wakeState.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
        if previous & Self.closedFlag == 0 {
            var one: UInt64 = 1
            _ = write(wakeupFD, &one, 8)
        }
        wakeState.wrappingSubtract(1, ordering: .releasing)
    }

    /// Waits for events (at most `timeoutMilliseconds`, -1 = forever, 0 = just look) and returns how many
    /// arrived; `dispatch` hands them out. Split so the loop can time the wait alone.
    func collect(timeoutMilliseconds: Int32) throws(ReactorError) -> Int {
        Int(try SystemCalls.call("epoll_wait") { epoll_wait(epollFD, events, eventCapacity, timeoutMilliseconds) })
    }

    /// Calls `body` for each of the `count` events the last `collect` returned; returns whether the wake-up
    /// eventfd was among them.
    func dispatch(_ count: Int, _ body: (SelectorEvent) -> Void) -> Bool {
        var woken = false
        for index in 0..<count {
            let event = events[index]
            let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))
            if fd == wakeupFD {
                var value: UInt64 = 0
                _ = read(wakeupFD, &value, 8)
                woken = true
                continue
            }
            let flags = event.events
            body(SelectorEvent(
                fd: fd,
                registrationID: UInt32(truncatingIfNeeded: event.data.u64 >> 32),
                readable: flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0,
                writable: flags & EPOLLOUT.rawValue != 0,
                failed: flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0))
        }
        return woken
    }
}
