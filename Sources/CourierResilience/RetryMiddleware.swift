import Courier
import CourierCore

/// Retries failed attempts by a `RetryPolicy`, waiting by its backoff or the server's `Retry-After`, within
/// an optional shared `RetryBudget` and the request's deadline.
///
/// It returns as soon as an attempt's response head is accepted, so nothing is ever retried once its body
/// has started streaming to the caller. A response it decides to retry is cancelled first (its connection is
/// freed, or reused when the body had already ended). When retrying stops, the last response is returned,
/// or the last error is thrown with a `RetriesExhausted` record as its `underlying`.
public struct RetryMiddleware: HTTPClientMiddleware {
    /// When to retry.
    public let policy: RetryPolicy
    /// The shared limit on retries (nil: none besides the policy).
    public let budget: RetryBudget?
    let clock: any ResilienceClock
    let random: RandomSource
    let telemetry: ResilienceTelemetry

    /// Retries by `policy` within `budget`, on `clock` (virtual in tests), drawing jitter from `random`.
    public init(policy: RetryPolicy = RetryPolicy(), budget: RetryBudget? = RetryBudget(),
                clock: any ResilienceClock = SystemResilienceClock(), random: RandomSource = .system,
                telemetry: ResilienceTelemetry = .standard) {
        self.policy = policy
        self.budget = budget
        self.clock = clock
        self.random = random
        self.telemetry = telemetry
    }

    /// Up to `retries` retries (so `retries + 1` attempts) of idempotent requests on transient failures,
    /// with the default backoff and no budget: what a command-line `--retry N` means.
    public init(retries: Int) {
        self.init(policy: RetryPolicy(maximumAttempts: max(0, retries) + 1), budget: nil)
    }

    public func execute(_ request: HTTPClientRequest, next: HTTPClientNext) async throws(HTTPClientError) -> HTTPClientResponse {
        let start = clock.now()
        let key = budget.map { $0.partition.key(for: request) }
        if let budget, let key { budget.recordRequest(key, at: start) }
        telemetry.record(.attemptStarted(attempt: 1), key: key, request: request.head, time: start)
        var attempt = 1
        var previousDelay: Duration?
        while true {
            let outcome: Result<HTTPClientResponse, HTTPClientError>
            do {
                outcome = .success(try await next(request))
            } catch {
                outcome = .failure(error)
            }
            let judged: AttemptOutcome
            switch outcome {
            case .success(let response): judged = .response(response.head)
            case .failure(let error): judged = .error(error)
            }
            guard let reason = policy.retryReason(for: judged, of: request) else {
                return try finish(outcome, attempts: attempt, reason: .notRetryable, request: request, key: key)
            }
            guard attempt < policy.maximumAttempts else {
                return try finish(outcome, attempts: attempt, reason: .maximumAttempts, request: request, key: key)
            }

            let now = clock.now()
            var delay: Duration
            if policy.honorsServerDelay, case .success(let response) = outcome,
               let requested = ServerBackoffHints(fields: response.headerFields, unixTime: clock.unixTime())
                .requestedDelay(status: response.status) {
                guard requested <= policy.maximumServerDelay else {
                    return try finish(outcome, attempts: attempt, reason: .serverDelayTooLong, request: request, key: key)
                }
                delay = requested
            } else {
                var generator = random.generator
                delay = policy.backoff.delay(forRetry: attempt, previous: previousDelay, using: &generator)
            }
            let wake = now + delay
            if let limit = policy.maximumElapsedTime, wake.elapsed(since: start) > limit {
                return try finish(outcome, attempts: attempt, reason: .maximumElapsedTime, request: request, key: key)
            }
            if let deadline = request.responseHeadDeadline, wake >= deadline {
                return try finish(outcome, attempts: attempt, reason: .deadline, request: request, key: key)
            }
            if let budget, let key, !budget.withdraw(key, at: now) {
                telemetry.record(.retryBudgetExhausted, key: key, request: request.head, time: now)
                return try finish(outcome, attempts: attempt, reason: .budget, request: request, key: key)
            }

            if case .success(let response) = outcome { response.body.cancel() }
            telemetry.record(.retryScheduled(attempt: attempt, delay: delay, reason: reason), key: key,
                             request: request.head, time: now)
            do {
                try await clock.sleep(until: wake)
            } catch {
                let last: HTTPClientError
                switch outcome {
                case .success(let response): last = HTTPClientError(.cancelled, "cancelled after a \(response.status.code) response")
                case .failure(let error): last = error
                }
                throw HTTPClientError(.cancelled, "the request was cancelled while waiting to retry",
                                      underlying: RetriesExhausted(attempts: attempt, reason: .notRetryable, lastError: last))
            }
            previousDelay = delay
            attempt += 1
            telemetry.record(.attemptStarted(attempt: attempt), key: key, request: request.head, time: clock.now())
        }
    }

    /// Hands the last outcome to the caller: a response as is, an error with the attempts recorded (when
    /// there were retries).
    private func finish(_ outcome: Result<HTTPClientResponse, HTTPClientError>, attempts: Int,
                        reason: RetriesExhausted.Reason, request: HTTPClientRequest,
                        key: ResilienceKey?) throws(HTTPClientError) -> HTTPClientResponse {
        if reason != .notRetryable {
            telemetry.record(.retriesExhausted(attempts: attempts, reason: reason), key: key, request: request.head,
                             time: clock.now())
        }
        switch outcome {
        case .success(let response):
            return response
        case .failure(let error):
            if attempts == 1 && (reason == .notRetryable || reason == .maximumAttempts) { throw error }
            throw HTTPClientError(exhausting: error, attempts: attempts, reason: reason)
        }
    }
}
