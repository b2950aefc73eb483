#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a mutex: every access goes through `withLock`. Store it in a `let` of a class (it is
/// not copyable, like `Synchronization.Mutex`, which it replaces).
///
/// Why not `Synchronization.Mutex`: on Linux it is a priority-inheritance futex, whose kernel side ties the
/// lock word to the owning thread's id. Locking one while a loop thread was exiting was seen to fail with
/// an error `Mutex` treats as fatal, and ThreadSanitizer does not see it. A plain `pthread_mutex_t` has
/// neither problem. The mutex and the value share one allocation.
public struct Locked<State>: ~Copyable {
    @usableFromInline
    struct Cell {
        @usableFromInline var mutex: pthread_mutex_t
        @usableFromInline var state: State

        @inlinable
        init(mutex: pthread_mutex_t, state: consuming State) {
            self.mutex = mutex
            self.state = state
        }
    }

    @usableFromInline let cell: UnsafeMutablePointer<Cell>

    /// A lock guarding `initialState`. Inlinable, like `withLock`, so that users specialize it for their state
    /// (an unspecialized generic looks its cell's type up at run time on every lock made, and `withLock` is
    /// on every request's path).
    @inlinable
    public init(_ initialState: consuming State) {
        cell = .allocate(capacity: 1)
        cell.initialize(to: Cell(mutex: pthread_mutex_t(), state: initialState))
        #if DEBUG
        // Debug builds check ownership, so locking twice from one thread traps (as `Mutex` did) instead of
        // deadlocking.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        let status = pthread_mutex_init(Self.mutex(of: cell), &attributes)
        pthread_mutexattr_destroy(&attributes)
        #else
        let status = pthread_mutex_init(Self.mutex(of: cell), nil)
        #endif
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
        assert(MemoryLayout<Cell>.offset(of: \Cell.state) == Self.stateOffset, "Locked's state offset")
    }

    // Through the state's type, not the cell's: the deinit is not specialized, and `Cell`'s type would be
    // looked up at run time (a hash-table search, ~330 instructions) for every lock freed, once per request
    // for a body stream's.
    deinit {
        _ = pthread_mutex_destroy(Self.mutex(of: cell))
        Self.state(of: cell).deinitialize(count: 1)
        UnsafeMutableRawPointer(cell).deallocate()
    }

    // `Cell` is a plain struct whose first field is the mutex, so the mutex sits at the cell's address; the
    // state's offset is fixed per `State` (computed once, not looked up through a key path on every lock).
    @inlinable
    static func mutex(of cell: UnsafeMutablePointer<Cell>) -> UnsafeMutablePointer<pthread_mutex_t> {
        UnsafeMutableRawPointer(cell).assumingMemoryBound(to: pthread_mutex_t.self)
    }

    @inlinable
    static var stateOffset: Int {
        let alignment = MemoryLayout<State>.alignment
        return (MemoryLayout<pthread_mutex_t>.size + alignment - 1) / alignment * alignment
    }

    @inlinable
    static func state(of cell: UnsafeMutablePointer<Cell>) -> UnsafeMutablePointer<State> {
        (UnsafeMutableRawPointer(cell) + stateOffset).assumingMemoryBound(to: State.self)
    }

    /// Runs `body` with exclusive access to the state and returns its result.
    @inlinable
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout State) throws(E) -> Result
    ) throws(E) -> Result {
        let mutex = Self.mutex(of: cell)
        let status = pthread_mutex_lock(mutex)
        assert(status == 0, "a lock taken twice on one thread (or broken): pthread_mutex_lock returned \(status)")
        defer { pthread_mutex_unlock(mutex) }
        return try body(&Self.state(of: cell).pointee)
    }
}

// Sendable proof: the state is reachable only inside `withLock`, which holds the mutex for the whole access;
// the state's own values must be Sendable to cross threads through it.
extension Locked: @unchecked Sendable where State: Sendable {}
