import CourierCore

extension ConnectionPoolStateMachine {
    /// What the driver must do after an event: independent instructions about requests and about
    /// connections. The driver may apply the two lists in either order; no instruction in one depends on the
    /// other (a connection is never closed in the same action that puts a request on it).
    public struct Action: Sendable, Equatable, CustomStringConvertible {
        /// What to do with requests, in order.
        public var requests: ActionList<RequestAction>
        /// What to do with connections and pool timers, in order.
        public var connections: ActionList<ConnectionAction>

        /// Creates an action from its two parts.
        public init(
            requests: ActionList<RequestAction> = ActionList(), connections: ActionList<ConnectionAction> = ActionList()
        ) {
            self.requests = requests
            self.connections = connections
        }

        /// One instruction about a request (built without the array a literal would allocate).
        static func request(_ action: RequestAction) -> Action {
            var result = Action()
            result.requests.append(action)
            return result
        }

        /// One instruction about a connection.
        static func connection(_ action: ConnectionAction) -> Action {
            var result = Action()
            result.connections.append(action)
            return result
        }

        /// Nothing to do.
        public static var none: Action { Action() }

        /// Whether there is nothing to do.
        public var isEmpty: Bool { requests.isEmpty && connections.isEmpty }

        public var description: String { "Action(requests: \(requests), connections: \(connections))" }
    }

    /// An instruction about one request.
    public enum RequestAction: Sendable, Equatable, CustomStringConvertible {
        /// Run the request now on that connection: the connection's only request (HTTP/1.1) or a new stream
        /// (HTTP/2). The pool has counted it; report the end with `requestFinished(on:reusable:now:)`.
        case execute(RequestID, on: ConnectionID)
        /// Fail the request with this error; the pool has forgotten it.
        case fail(RequestID, PoolError)
        /// Start a timer that calls `acquireTimeoutFired(_:now:)` at `deadline`.
        case scheduleAcquireTimeout(RequestID, deadline: Timestamp)
        /// Stop the request's acquire timer (it got a connection, failed, or was cancelled).
        case cancelAcquireTimeout(RequestID)

        public var description: String {
            switch self {
            case .execute(let request, let connection): return "execute(\(request), on: \(connection))"
            case .fail(let request, let error): return "fail(\(request), \(error))"
            case .scheduleAcquireTimeout(let request, let deadline):
                return "scheduleAcquireTimeout(\(request), \(deadline.nanoseconds)ns)"
            case .cancelAcquireTimeout(let request): return "cancelAcquireTimeout(\(request))"
            }
        }
    }

    /// An instruction about one connection or about the pool.
    public enum ConnectionAction: Sendable, Hashable, CustomStringConvertible {
        /// Open a connection to the origin (on that loop if given) and report `connectionEstablished` or
        /// `connectionFailed` with this id.
        case create(ConnectionID, on: LoopID?)
        /// Close the connection and drop its idle timer. The pool has already forgotten it: a later
        /// `connectionClosed` for it is ignored. Nothing runs on it.
        case close(ConnectionID)
        /// Start (or restart) the connection's idle timer, calling `idleTimeoutFired(_:now:)` at `deadline`.
        case scheduleIdleTimeout(ConnectionID, deadline: Timestamp)
        /// Stop the connection's idle timer: it is in use again.
        case cancelIdleTimeout(ConnectionID)
        /// Start (or move) the pool's single backoff timer, calling `backoffFinished(now:)` at `deadline`.
        case scheduleBackoff(deadline: Timestamp)
        /// Shutdown has finished: every queued request has failed and every connection has been handed back
        /// for closing. Pool timers still pending may be dropped.
        case shutdownComplete

        public var description: String {
            switch self {
            case .create(let connection, let loop): return "create(\(connection), on: \(loop.map { "\($0)" } ?? "any"))"
            case .close(let connection): return "close(\(connection))"
            case .scheduleIdleTimeout(let connection, let deadline):
                return "scheduleIdleTimeout(\(connection), \(deadline.nanoseconds)ns)"
            case .cancelIdleTimeout(let connection): return "cancelIdleTimeout(\(connection))"
            case .scheduleBackoff(let deadline): return "scheduleBackoff(\(deadline.nanoseconds)ns)"
            case .shutdownComplete: return "shutdownComplete"
            }
        }
    }

    /// The protocol a connection speaks once established.
    public enum NegotiatedProtocol: Hashable, Sendable {
        /// HTTP/1.1: one request at a time, kept alive between requests.
        case http1
        /// HTTP/2 with the peer's current SETTINGS_MAX_CONCURRENT_STREAMS (the driver passes its default,
        /// typically 100, until the peer's first SETTINGS frame arrives, then `http2SettingsChanged`).
        case http2(maximumStreams: Int)
    }
}
