import Courier
import CourierCore

/// When and how much to hedge.
public struct HedgingPolicy: Sendable {
    /// When the next attempt is sent if none has answered.
    public enum Delay: Sendable, Hashable {
        /// After a fixed time.
        case fixed(Duration)
        /// After the given quantile (0.95: the 95th percentile) of recent response times, never sooner than
        /// `minimum`; `fallback` until 20 responses were seen.
        case percentile(Double, minimum: Duration, fallback: Duration)
    }

    /// Attempts at most, the first included. Default 2 (one hedge).
    public var maximumAttempts: Int
    /// The delay before each hedge. Default: the 95th percentile, at least 10 ms, 500 ms to start with.
    public var delay: Delay
    /// Methods hedged. Default GET, HEAD and OPTIONS: reads, which can be sent twice at no cost but load.
    public var methods: Set<HTTPRequest.Method>
    /// Statuses treated like a failed attempt: the next hedge starts at once and another answer is awaited.
    /// Default 500, 502, 503, 504.
    public var retryableStatuses: Set<Int>

    /// A policy; the defaults send one hedge for slow reads.
    public init(maximumAttempts: Int = 2, delay: Delay = .percentile(0.95, minimum: .milliseconds(10), fallback: .milliseconds(500)),
                methods: Set<HTTPRequest.Method> = [.get, .head, .options],
                retryableStatuses: Set<Int> = [500, 502, 503, 504]) {
        precondition(maximumAttempts >= 1, "a request needs at least one attempt")
        self.maximumAttempts = maximumAttempts
        self.delay = delay
        self.methods = methods
        self.retryableStatuses = retryableStatuses
    }
}

/// Hedged requests ("The Tail at Scale", Dean and Barroso, 2013): when a read has not answered after the
/// hedging delay, the same request is sent again and the first response wins; the others are cancelled
/// (their exchanges reset or closed, any response body they got cancelled). A failed attempt starts the next
/// one at once. Hedges draw on the retry budget, if one is given, so hedging cannot multiply the load of an
/// overloaded server.
///
/// Only requests whose method is in the policy and whose body is replayable are hedged; the others pass
/// through. Hedged attempts run as child tasks (about 5 µs each), so hedge reads whose tail matters.
public struct HedgingMiddleware: HTTPClientMiddleware {
    /// When and how much to hedge.
    public let policy: HedgingPolicy
    /// The shared limit on extra attempts (nil: none).
    public let budget: RetryBudget?
    let clock: any ResilienceClock
    let telemetry: ResilienceTelemetry
    private let latencies: LatencyTracker

    /// Hedges by `policy` within `budget`, on `clock`.
    public init(policy: HedgingPolicy = HedgingPolicy(), budget: RetryBudget? = nil,
                clock: any ResilienceClock = SystemResilienceClock(), telemetry: ResilienceTelemetry = .standard) {
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.telemetry = telemetry
        latencies = LatencyTracker(now: clock.now())
    }

    /// The delay before the first hedge now.
    public func currentDelay() -> Duration {
        switch policy.delay {
        case .fixed(let delay): delay
        case .percentile(let quantile, let minimum, let fallback):
            max(minimum, latencies.percentile(quantile, at: clock.now()) ?? fallback)
        }
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let start = clock.now()
        guard policy.maximumAttempts > 1, policy.methods.contains(request.head.method),
              request.body?.isReplayable ?? true else {
            return try await next(request)
        }
        let key = budget.map { $0.partition.key(for: request) }
        if let budget, let key { budget.recordRequest(key, at: start) }
        let delay = currentDelay()
        let result = await race(request, next: next, key: key, delay: delay, start: start)
        if case .success(let response) = result, !policy.retryableStatuses.contains(response.status.code) {
            let end = clock.now()
            latencies.record(end.elapsed(since: start), at: end)
        }
        return try result.get()
    }

    private enum Event: Sendable {
        case answered(attempt: Int, Result<HTTPClientResponse, HTTPClientError>)
        case hedgeDue
    }

    private func race(_ request: HTTPClientRequest, next: HTTPClientNext, key: ResilienceKey?, delay: Duration,
                      start: Timestamp) async -> Result<HTTPClientResponse, HTTPClientError> {
        let clock = self.clock
        return await withTaskGroup(of: Event.self) { group in
            func launch(_ attempt: Int) {
                telemetry.record(attempt == 1 ? .attemptStarted(attempt: 1) : .hedgeStarted(attempt: attempt), key: key,
                                 request: request.head, time: clock.now())
                group.addTask {
                    do throws(HTTPClientError) {
                        return .answered(attempt: attempt, .success(try await next(request)))
                    } catch {
                        return .answered(attempt: attempt, .failure(error))
                    }
                }
            }
            func armTimer(from now: Timestamp) {
                group.addTask {
                    do throws(CancellationError) {
                        try await clock.sleep(until: now + delay)
                    } catch {
                        return .hedgeDue
                    }
                    return .hedgeDue
                }
            }
            func mayHedge(_ launched: Int) -> Bool {
                guard launched < policy.maximumAttempts else { return false }
                if let budget, let key, !budget.withdraw(key, at: clock.now()) {
                    telemetry.record(.retryBudgetExhausted, key: key, request: request.head, time: clock.now())
                    return false
                }
                return true
            }

            launch(1)
            armTimer(from: start)
            var launched = 1
            var pending = 1
            var budgetRefused = false
            var last: Result<HTTPClientResponse, HTTPClientError>?
            while let event = await group.next() {
                switch event {
                case .hedgeDue:
                    guard pending > 0, !budgetRefused, launched < policy.maximumAttempts, !Task.isCancelled else { continue }
                    guard mayHedge(launched) else { budgetRefused = true; continue }
                    launched += 1
                    pending += 1
                    launch(launched)
                    if launched < policy.maximumAttempts { armTimer(from: clock.now()) }
                case .answered(let attempt, let result):
                    pending -= 1
                    let failed: Bool
                    switch result {
                    case .success(let response): failed = policy.retryableStatuses.contains(response.status.code)
                    case .failure: failed = true
                    }
                    if !failed {
                        if launched > 1 {
                            telemetry.record(.hedgeWon(attempt: attempt), key: key, request: request.head, time: clock.now())
                        }
                        group.cancelAll()
                        if case .success(let previous)? = last { previous.body.cancel() }
                        await Self.cancelLosers(&group)
                        return result
                    }
                    if case .success(let previous)? = last { previous.body.cancel() }
                    last = result
                    if pending == 0, !budgetRefused, !Task.isCancelled, mayHedge(launched) {
                        launched += 1
                        pending += 1
                        launch(launched)
                        if launched < policy.maximumAttempts { armTimer(from: clock.now()) }
                    } else if pending == 0 {
                        group.cancelAll()
                        await Self.cancelLosers(&group)
                        return result
                    }
                }
            }
            return last ?? .failure(HTTPClientError(.cancelled, "the hedged request was cancelled"))
        }
    }

    /// Waits for the cancelled attempts to end, cancelling the body of any response that arrived anyway.
    private static func cancelLosers(_ group: inout TaskGroup<Event>) async {
        while let event = await group.next() {
            if case .answered(_, .success(let response)) = event { response.body.cancel() }
        }
    }
}

/// Response times for percentile hedging delays, behind a lock.
final class LatencyTracker: Sendable {
    private let histogram: Locked<LatencyHistogram>
    init(now: Timestamp) { histogram = Locked(LatencyHistogram(window: .seconds(30), now: now)) }
    func record(_ latency: Duration, at now: Timestamp) {
        histogram.withLock { $0.record(latency, at: now) }
    }
    func percentile(_ quantile: Double, at now: Timestamp) -> Duration? {
        histogram.withLock { $0.percentile(quantile, minimumSamples: 20, at: now) }
    }
}
