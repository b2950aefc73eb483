import CourierCore

/// The result of one item run by `Concurrently`: where it was in the input, and what it produced or threw.
public struct ConcurrentResult<Output: Sendable>: Sendable {
    /// The item's position in the input (0-based).
    public let index: Int
    /// What the operation returned or threw.
    public let result: Result<Output, any Error>

    /// The output, or the item's error thrown.
    public func get() throws -> Output { try result.get() }
}

/// How far a `Concurrently` run has come, reported after each item.
public struct ConcurrencyProgress: Sendable, Hashable {
    /// Items started so far.
    public var started = 0
    /// Items finished (successfully or not).
    public var completed = 0
    /// Items that threw.
    public var failed = 0
    /// Items running now.
    public var inFlight: Int { started - completed }

    /// Nothing started yet.
    public init() {}
}

/// Runs an operation over a sequence of inputs with at most `maximumConcurrency` running at once, and hands
/// out the results as an `AsyncSequence` — as they complete (asyncio's `as_completed` under a semaphore) or
/// in input order (`gather`, streamed). Inputs are pulled lazily, and a slot is freed only when its result has
/// been taken, so memory stays bounded by `maximumConcurrency` whatever the number of inputs, and a slow
/// consumer slows the work down.
///
/// An item that throws is an element like any other (its `result` holds the error) and does not stop the
/// others, unless `failFast` is set: then the first error cancels the items in flight and is thrown by the
/// sequence. Cancelling the consuming task, or dropping the iterator early (leaving a `for await` loop),
/// cancels the items in flight.
public struct ConcurrentResults<Inputs: Sequence, Output: Sendable>: AsyncSequence where Inputs.Element: Sendable {
    public typealias Element = ConcurrentResult<Output>

    /// In which order results come out.
    public enum Order: Sendable, Hashable {
        /// As items complete.
        case completion
        /// In input order (a completed item waits for those before it; the window still holds at most
        /// `maximumConcurrency` items).
        case input
    }

    let inputs: Inputs
    let maximumConcurrency: Int
    let order: Order
    let failFast: Bool
    let progress: (@Sendable (ConcurrencyProgress) -> Void)?
    let operation: @Sendable (Inputs.Element) async throws -> Output

    /// Runs `operation` over `inputs`; see the type's documentation.
    public init(_ inputs: Inputs, maximumConcurrency: Int, order: Order = .completion, failFast: Bool = false,
                progress: (@Sendable (ConcurrencyProgress) -> Void)? = nil,
                operation: @escaping @Sendable (Inputs.Element) async throws -> Output) {
        precondition(maximumConcurrency >= 1, "maximumConcurrency must be at least 1")
        self.inputs = inputs
        self.maximumConcurrency = maximumConcurrency
        self.order = order
        self.failFast = failFast
        self.progress = progress
        self.operation = operation
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inputs: inputs.makeIterator(), runner: ConcurrencyRunner(sink: ConcurrencySink()), limit: maximumConcurrency, order: order,
                      failFast: failFast, progress: progress, operation: operation)
    }

    /// Pulls inputs, starts items, and hands out results.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var inputs: Inputs.Iterator
        let runner: ConcurrencyRunner<Inputs.Element, Output>
        let limit: Int
        let order: Order
        let failFast: Bool
        let progress: (@Sendable (ConcurrencyProgress) -> Void)?
        let operation: @Sendable (Inputs.Element) async throws -> Output
        var nextIndex = 0
        var nextToYield = 0
        var exhausted = false
        var finished = false

        /// The next result; nil when every item was handed out. Throws `CancellationError` when the
        /// consuming task is cancelled, and the first item error with `failFast`.
        public mutating func next() async throws -> ConcurrentResult<Output>? {
            guard !finished else { return nil }
            let sink = runner.sink
            while true {
                while !exhausted, sink.occupied < limit {
                    guard let input = inputs.next() else {
                        exhausted = true
                        break
                    }
                    sink.start(index: nextIndex, input: input, operation: operation, progress: progress)
                    nextIndex += 1
                }
                let seen = sink.completions
                if let ready = sink.take(order == .input ? nextToYield : nil) {
                    nextToYield += 1
                    if failFast, case .failure(let error) = ready.result {
                        finished = true
                        sink.cancelAll()
                        throw error
                    }
                    return ready
                }
                if exhausted && sink.occupied == 0 {
                    finished = true
                    return nil
                }
                await sink.waitForCompletion(after: seen)
                if Task.isCancelled {
                    finished = true
                    sink.cancelAll()
                    throw CancellationError()
                }
            }
        }
    }
}

extension ConcurrentResults: Sendable where Inputs: Sendable {}

/// Owned by the iterator: when the iterator goes away (a loop left early), items still running are cancelled.
final class ConcurrencyRunner<Element: Sendable, Output: Sendable>: Sendable {
    let sink: ConcurrencySink<Element, Output>
    init(sink: ConcurrencySink<Element, Output>) { self.sink = sink }
    deinit { sink.cancelAll() }
}

/// The shared state between the items' tasks and the iterator.
final class ConcurrencySink<Element: Sendable, Output: Sendable>: Sendable {
    private struct State {
        var running: [Int: Task<Void, Never>] = [:]
        var completed: [Int: Result<Output, any Error>] = [:]
        var completionOrder: [Int] = []
        var waiter: CheckedContinuation<Void, Never>?
        var progress = ConcurrencyProgress()
        var cancelled = false
    }

    private let state = Locked(State())

    /// Items running or finished but not yet handed out.
    var occupied: Int { state.withLock { $0.running.count + $0.completed.count } }

    func start(index: Int, input: Element, operation: @escaping @Sendable (Element) async throws -> Output,
               progress: (@Sendable (ConcurrencyProgress) -> Void)?) {
        let (cancelled, snapshot) = state.withLock { state -> (Bool, ConcurrencyProgress) in
            state.progress.started += 1
            return (state.cancelled, state.progress)
        }
        progress?(snapshot)
        let task = Task { [self] in
            let result: Result<Output, any Error>
            do {
                result = .success(try await operation(input))
            } catch {
                result = .failure(error)
            }
            finish(index: index, result: result, progress: progress)
        }
        let cancelNow = state.withLock { state -> Bool in
            // The task may already have finished and removed itself: only keep a running one.
            if state.completed[index] == nil { state.running[index] = task }
            return state.cancelled
        }
        if cancelNow || cancelled { task.cancel() }
    }

    private func finish(index: Int, result: Result<Output, any Error>,
                        progress: (@Sendable (ConcurrencyProgress) -> Void)?) {
        let (waiter, snapshot) = state.withLock { state -> (CheckedContinuation<Void, Never>?, ConcurrencyProgress) in
            state.running[index] = nil
            state.completed[index] = result
            state.completionOrder.append(index)
            state.progress.completed += 1
            if case .failure = result { state.progress.failed += 1 }
            defer { state.waiter = nil }
            return (state.waiter, state.progress)
        }
        progress?(snapshot)
        waiter?.resume()
    }

    /// A finished item: the one at `index` (input order) or the earliest finished (completion order).
    func take(_ index: Int?) -> ConcurrentResult<Output>? {
        state.withLock { state in
            let chosen: Int
            if let index {
                guard state.completed[index] != nil else { return nil }
                chosen = index
                state.completionOrder.removeAll { $0 == index }
            } else {
                guard !state.completionOrder.isEmpty else { return nil }
                chosen = state.completionOrder.removeFirst()
            }
            return ConcurrentResult(index: chosen, result: state.completed.removeValue(forKey: chosen)!)
        }
    }

    /// How many items finished so far (to wait for the next one).
    var completions: Int { state.withLock { $0.progress.completed } }

    /// Suspends until more than `seen` items finished (at once if that happened meanwhile), nothing runs,
    /// or the task is cancelled.
    func waitForCompletion(after seen: Int) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelled = Task.isCancelled
                let resumeNow = state.withLock { state -> Bool in
                    if cancelled || state.progress.completed > seen || state.cancelled || state.running.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    func cancelAll() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.cancelled = true
            return Array(state.running.values)
        }
        for task in tasks { task.cancel() }
    }
}

/// Entry points for running many operations with bounded concurrency.
public enum Concurrently {
    /// Results as they complete, at most `maximumConcurrency` running at once.
    public static func asCompleted<Inputs: Sequence, Output: Sendable>(
        _ inputs: Inputs, maximumConcurrency: Int, failFast: Bool = false,
        progress: (@Sendable (ConcurrencyProgress) -> Void)? = nil,
        _ operation: @escaping @Sendable (Inputs.Element) async throws -> Output
    ) -> ConcurrentResults<Inputs, Output> where Inputs.Element: Sendable {
        ConcurrentResults(inputs, maximumConcurrency: maximumConcurrency, order: .completion, failFast: failFast,
                          progress: progress, operation: operation)
    }

    /// Results in input order, at most `maximumConcurrency` items started and not yet handed out.
    public static func inOrder<Inputs: Sequence, Output: Sendable>(
        _ inputs: Inputs, maximumConcurrency: Int, failFast: Bool = false,
        progress: (@Sendable (ConcurrencyProgress) -> Void)? = nil,
        _ operation: @escaping @Sendable (Inputs.Element) async throws -> Output
    ) -> ConcurrentResults<Inputs, Output> where Inputs.Element: Sendable {
        ConcurrentResults(inputs, maximumConcurrency: maximumConcurrency, order: .input, failFast: failFast,
                          progress: progress, operation: operation)
    }

    /// Every result, in input order (like `asyncio.gather(..., return_exceptions=True)` under a semaphore).
    /// With `failFast`, the first error cancels the rest and is thrown.
    public static func gather<Inputs: Sequence, Output: Sendable>(
        _ inputs: Inputs, maximumConcurrency: Int, failFast: Bool = false,
        progress: (@Sendable (ConcurrencyProgress) -> Void)? = nil,
        _ operation: @escaping @Sendable (Inputs.Element) async throws -> Output
    ) async throws -> [Result<Output, any Error>] where Inputs.Element: Sendable {
        var results: [Result<Output, any Error>] = []
        for try await item in inOrder(inputs, maximumConcurrency: maximumConcurrency, failFast: failFast,
                                      progress: progress, operation) {
            results.append(item.result)
        }
        return results
    }
}

extension HTTPClient {
    /// Sends `requests` with at most `maximumConcurrency` in flight and hands out what `read` makes of each
    /// response (read the body there: a body left unread holds its connection), as they complete or in
    /// order. A request that fails is an element with its error; see `ConcurrentResults`.
    public func executeAll<Requests: Sequence, Output: Sendable>(
        _ requests: Requests, maximumConcurrency: Int = 8, order: ConcurrentResults<Requests, Output>.Order = .completion,
        failFast: Bool = false, progress: (@Sendable (ConcurrencyProgress) -> Void)? = nil,
        read: @escaping @Sendable (HTTPClientResponse) async throws -> Output
    ) -> ConcurrentResults<Requests, Output> where Requests.Element == HTTPClientRequest {
        ConcurrentResults(requests, maximumConcurrency: maximumConcurrency, order: order, failFast: failFast,
                          progress: progress) { [self] request in
            try await read(try await execute(request))
        }
    }
}
