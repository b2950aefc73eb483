// Resilience middleware: retries with backoff and budgets, circuit breakers, rate and concurrency limits.
import Courier
