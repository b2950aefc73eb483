#if canImport(Glibc)
import CourierCore
import Glibc
#endif
import COpenSSL

/// Sessions kept for resumption, per origin: TLS 1.3 tickets and TLS 1.2 sessions (ids or tickets).
///
/// Client engines take a session for their origin when created and offer it in the ClientHello; new
/// sessions arrive from OpenSSL's new-session callback and are stored here. The key includes the
/// identity of the context, so a session made under one configuration (other trust roots, pins or
/// client certificate) is never offered under another. TLS 1.3 tickets are used once (RFC 8446 §C.4:
/// reuse lets a passive observer link connections); TLS 1.2 sessions are reused until they expire.
/// A few tickets are kept per origin because a TLS 1.3 server usually sends two per handshake and a
/// pool opens connections in parallel. Thread-safe: one lock, held for dictionary work only.
public final class TLSSessionCache: Sendable {
    /// Where a session may be offered again.
    public struct Origin: Hashable, Sendable {
        /// The host name or IP literal the client connected to (lower-cased).
        public let host: String
        /// The port.
        public let port: Int
        /// The identity of the context whose configuration made the session.
        let contextIdentity: UInt64
    }

    private struct Entry {
        var sessions: [TLSSession]
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [Origin: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let state = Locked(State())
    /// The most origins remembered; the least recently used origin is forgotten first.
    public let capacity: Int
    /// Sessions kept per origin.
    static let sessionsPerOrigin = 4

    /// An empty cache remembering at most `capacity` origins.
    public init(capacity: Int = 1024) {
        precondition(capacity > 0, "a session cache needs room for at least one origin")
        self.capacity = capacity
    }

    /// The number of origins with at least one session.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Forgets every session.
    public func removeAll() { state.withLock { $0.entries.removeAll() } }

    /// A session to offer for `origin`: the newest unexpired one. TLS 1.3 tickets are removed as they
    /// are handed out; TLS 1.2 sessions stay.
    func session(for origin: Origin) -> TLSSession? {
        let now = Int64(time(nil))
        return state.withLock { state -> TLSSession? in
            guard var entry = state.entries[origin] else { return nil }
            entry.sessions.removeAll { $0.expiry <= now }
            let chosen = entry.sessions.last
            if let chosen, chosen.isSingleUse { entry.sessions.removeLast() }
            state.clock &+= 1
            entry.lastUsed = state.clock
            state.entries[origin] = entry.sessions.isEmpty ? nil : entry
            return chosen
        }
    }

    /// Remembers a new session for `origin`.
    func store(_ session: TLSSession, for origin: Origin) {
        state.withLock { state in
            state.clock &+= 1
            var entry = state.entries[origin] ?? Entry(sessions: [], lastUsed: state.clock)
            // A TLS 1.2 session replaces older ones; TLS 1.3 tickets accumulate up to the limit.
            if !session.isSingleUse { entry.sessions.removeAll() }
            entry.sessions.append(session)
            if entry.sessions.count > Self.sessionsPerOrigin { entry.sessions.removeFirst() }
            entry.lastUsed = state.clock
            state.entries[origin] = entry
            if state.entries.count > capacity,
               let oldest = state.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                state.entries[oldest] = nil
            }
        }
    }

    /// Forgets one session of `origin` (its connection failed, so it must not be offered again).
    func discard(_ session: TLSSession, for origin: Origin) {
        state.withLock { state in
            guard var entry = state.entries[origin] else { return }
            entry.sessions.removeAll { $0 === session }
            state.entries[origin] = entry.sessions.isEmpty ? nil : entry
        }
    }
}

/// An owned `SSL_SESSION*`.
///
/// `@unchecked Sendable`: OpenSSL reference-counts sessions atomically, and a session that has been
/// established is not modified when offered for resumption (OpenSSL duplicates it before updating),
/// so sharing the pointer across threads is safe.
final class TLSSession: @unchecked Sendable {
    let pointer: OpaquePointer
    /// TLS 1.3 tickets are offered once.
    let isSingleUse: Bool
    /// Seconds since 1970 after which the session is not offered.
    let expiry: Int64

    /// Takes ownership of one reference to `pointer`.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        isSingleUse = SSL_SESSION_get_protocol_version(pointer) >= TLS1_3_VERSION
        expiry = Int64(SSL_SESSION_get_time(pointer)) + Int64(SSL_SESSION_get_timeout(pointer))
    }

    deinit { SSL_SESSION_free(pointer) }
}
