// Short names for the scenario tests: r(1) is request 1, c(0) connection 0, loop(2) event loop 2, at(5)
// the time 5 s after the test clock's origin.
import CourierCore
import CourierPool

typealias Pool = ConnectionPoolStateMachine

func r(_ number: UInt64) -> RequestID { RequestID(number) }
func c(_ number: UInt64) -> ConnectionID { ConnectionID(number) }
func loop(_ number: Int) -> LoopID { LoopID(number) }
func at(_ seconds: Double) -> Timestamp { Timestamp(nanoseconds: UInt64(seconds * 1e9)) }

/// A transport error for scenarios of failed connection attempts.
struct ConnectRefused: Error, Sendable, Equatable {}

extension ConnectionPoolConfiguration {
    /// A configuration for scenarios: HTTP/1.1 only unless stated, every other limit as given.
    static func scenario(
        _ preferredProtocol: PreferredProtocol = .http1Only,
        connections: Int = 8,
        http2Connections: Int = 4,
        pending: Int = 10_000,
        acquireTimeout: Duration? = .seconds(30),
        idleTimeout: Duration = .seconds(50),
        maximumAge: Duration? = nil,
        failFastAfter: Int = 1
    ) -> ConnectionPoolConfiguration {
        ConnectionPoolConfiguration(
            maximumConnectionsPerOrigin: connections,
            maximumHTTP2ConnectionsPerOrigin: http2Connections,
            maximumPendingRequests: pending,
            acquireTimeout: acquireTimeout,
            idleTimeout: idleTimeout,
            maximumConnectionAge: maximumAge,
            failFastAfterFailures: failFastAfter,
            preferredProtocol: preferredProtocol)
    }
}

extension ConnectionPoolStateMachine.Action {
    /// The requests this action executes, in order.
    var executed: [RequestID] {
        requests.compactMap { if case .execute(let id, _) = $0 { id } else { nil } }
    }

    /// The connections this action creates, in order.
    var created: [ConnectionID] {
        connections.compactMap { if case .create(let id, _) = $0 { id } else { nil } }
    }

    /// The requests this action fails, with their errors.
    var failed: [(RequestID, PoolError)] {
        requests.compactMap { if case .fail(let id, let error) = $0 { (id, error) } else { nil } }
    }
}
