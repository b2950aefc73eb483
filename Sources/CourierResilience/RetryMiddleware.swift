import Courier
import CourierCore

/// Retries failed attempts by a `RetryPolicy`, waiting by its backoff or the server's `Retry-After`, within
/// an optional shared `RetryBudget` and the request's deadline.
///
/// It returns as soon as an attempt's response head is accepted, so nothing is ever retried once its body
/// has started streaming to the caller. A response it decides to retry is cancelled first (its connection is
/// freed, or reused when the body had already ended). When retrying stops, the last response is returned,
/// or the last error is thrown with a `RetriesExhausted` record as its `underlying`.
public final class RetryMiddleware: HTTPClientMiddleware, Sendable {
    /// When to retry.
    public let policy: RetryPolicy
    /// The shared limit on retries (nil: none besides the policy).
    public let budget: RetryBudget?
    let clock: any ResilienceClock
    let random: RandomSource
    let telemetry: ResilienceTelemetry
    private let retryableStatuses: StatusSet

    /// Retries by `policy` within `budget`, on `clock` (virtual in tests), drawing jitter from `random`.
    public init(policy: RetryPolicy = RetryPolicy(), budget: RetryBudget? = RetryBudget(),
                clock: any ResilienceClock = SystemResilienceClock(), random: RandomSource = .system,
                telemetry: ResilienceTelemetry = .standard) {
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.random = random
        self.telemetry = telemetry
        retryableStatuses = StatusSet(policy.retryableStatuses)
    }

    /// Up to `retries` retries (so `retries + 1` attempts) of idempotent requests on transient failures,
    /// with the default backoff and no budget: what a command-line `--retry N` means.
    public convenience init(retries: Int) {
        self.init(policy: RetryPolicy(maximumAttempts: max(0, retries) + 1), budget: nil)
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        var progress = begin(request, at: clock.now(), originKey: nil)
        while true {
            let outcome: Result<HTTPClientResponse, HTTPClientError>
            do {
                outcome = .success(try await next(request))
            } catch {
                outcome = .failure(error)
            }
            switch try judge(outcome, statusCode: outcome.statusCode, of: request, deadline: request.responseHeadDeadline,
                             progress: &progress) {
            case .finished(let response): return response
            case .retry(let wake): _ = try await wait(until: wake, after: outcome, of: request, progress: &progress)
            }
        }
    }

    // MARK: - Steps (shared with `ResiliencePipeline`)

    /// One request's way through its attempts.
    struct Progress {
        let start: Timestamp
        let key: ResilienceKey?
        var attempt = 1
        var previousDelay: Duration?
    }

    /// What to do after an attempt.
    enum Step {
        /// Hand this response to the caller.
        case finished(HTTPClientResponse)
        /// Send the request again at this time.
        case retry(at: Timestamp)
    }

    /// Whether a first attempt answered with `statusCode` is final without further thought (the common case).
    @inline(__always)
    func isPlainlyFinal(statusCode: Int) -> Bool {
        policy.isTransient == nil && !retryableStatuses.contains(statusCode)
    }

    /// Starts a request at `now`: counts it in the budget (under `originKey` when the budget is per origin).
    func begin(_ request: HTTPClientRequest, at now: Timestamp, originKey: ResilienceKey?) -> Progress {
        var key: ResilienceKey?
        if let budget {
            let budgetKey = budget.partition.isOrigin ? originKey ?? budget.partition.key(for: request) : budget.partition.key(for: request)
            budget.recordRequest(budgetKey, at: now)
            key = budgetKey
        }
        telemetry.record(.attemptStarted(attempt: 1), key: key, request: request.head, time: now)
        return Progress(start: now, key: key)
    }

    /// Judges an attempt's outcome: a response to return, an error to throw (the last one, with the attempts
    /// recorded), or the time to retry at (the response, if any, is cancelled then).
    /// `statusCode` is the response's status (read once by the caller), 0 for an error; no retry waits past
    /// `deadline`.
    func judge(_ outcome: Result<HTTPClientResponse, HTTPClientError>, statusCode: Int, of request: HTTPClientRequest,
               deadline: Timestamp?, progress: inout Progress) throws(HTTPClientError) -> Step {
        // The common case: a first attempt answered with a status nobody retries.
        if case .success(let response) = outcome, progress.attempt == 1, policy.isTransient == nil,
           !retryableStatuses.contains(statusCode) {
            return .finished(response)
        }
        let judged: AttemptOutcome
        switch outcome {
        case .success(let response): judged = .response(response.head)
        case .failure(let error): judged = .error(error)
        }
        guard let reason = policy.retryReason(for: judged, of: request) else {
            // An attempt cut short by the overall deadline stopped because of the deadline, not its error's kind.
            if progress.attempt > 1, case .failure(let error) = outcome, error.code == .deadlineExceeded, let deadline,
               clock.now() >= deadline {
                return try finish(outcome, progress, .deadline, request)
            }
            return try finish(outcome, progress, .notRetryable, request)
        }
        guard progress.attempt < policy.maximumAttempts else {
            return try finish(outcome, progress, .maximumAttempts, request)
        }
        let now = clock.now()
        let delay: Duration
        if policy.honorsServerDelay, case .success(let response) = outcome,
           let requested = ServerBackoffHints(fields: response.headerFields, unixTime: clock.unixTime())
            .requestedDelay(status: response.status) {
            guard requested <= policy.maximumServerDelay else {
                return try finish(outcome, progress, .serverDelayTooLong, request)
            }
            delay = requested
        } else {
            var generator = random.generator
            delay = policy.backoff.delay(forRetry: progress.attempt, previous: progress.previousDelay, using: &generator)
        }
        let wake = now + delay
        if let limit = policy.maximumElapsedTime, wake.elapsed(since: progress.start) > limit {
            return try finish(outcome, progress, .maximumElapsedTime, request)
        }
        if let deadline, wake >= deadline {
            return try finish(outcome, progress, .deadline, request)
        }
        if let budget, let key = progress.key, !budget.withdraw(key, at: now) {
            telemetry.record(.retryBudgetExhausted, key: key, request: request.head, time: now)
            return try finish(outcome, progress, .budget, request)
        }
        if case .success(let response) = outcome { response.body.cancel() }
        telemetry.record(.retryScheduled(attempt: progress.attempt, delay: delay, reason: reason), key: progress.key,
                         request: request.head, time: now)
        progress.previousDelay = delay
        return .retry(at: wake)
    }

    /// Waits until `wake` for the next attempt; returns the time it starts at.
    func wait(until wake: Timestamp, after outcome: Result<HTTPClientResponse, HTTPClientError>,
              of request: HTTPClientRequest, progress: inout Progress) async throws(HTTPClientError) -> Timestamp {
        do {
            try await clock.sleep(until: wake)
        } catch {
            let last: HTTPClientError
            switch outcome {
            case .success(let response): last = HTTPClientError(.cancelled, "cancelled after a \(response.status.code) response")
            case .failure(let error): last = error
            }
            throw HTTPClientError(.cancelled, "the request was cancelled while waiting to retry",
                                  underlying: RetriesExhausted(attempts: progress.attempt, reason: .notRetryable, lastError: last))
        }
        progress.attempt += 1
        let now = clock.now()
        telemetry.record(.attemptStarted(attempt: progress.attempt), key: progress.key, request: request.head, time: now)
        return now
    }

    /// Hands the last outcome to the caller: a response as is, an error with the attempts recorded (when
    /// there were retries, or a limit stopped them).
    private func finish(_ outcome: Result<HTTPClientResponse, HTTPClientError>, _ progress: Progress,
                        _ reason: RetriesExhausted.Reason, _ request: HTTPClientRequest) throws(HTTPClientError) -> Step {
        if reason != .notRetryable {
            telemetry.record(.retriesExhausted(attempts: progress.attempt, reason: reason), key: progress.key,
                             request: request.head, time: clock.now())
        }
        switch outcome {
        case .success(let response):
            return .finished(response)
        case .failure(let error):
            if progress.attempt == 1 && (reason == .notRetryable || reason == .maximumAttempts) { throw error }
            throw HTTPClientError(exhausting: error, attempts: progress.attempt, reason: reason)
        }
    }
}
