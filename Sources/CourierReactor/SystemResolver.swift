import CourierCore
import CCourierSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Resolves names with the system's `getaddrinfo` on a small thread pool (never on an event loop), caches
/// answers for `ttl` (getaddrinfo reports no TTL, so one is configured) and failures for `negativeTTL`, and
/// shares one lookup among concurrent callers asking for the same name. IP literals skip all of that.
public final class SystemResolver: Resolver {
    /// A process-wide resolver with two lookup threads and a 30 s cache.
    public static let shared = SystemResolver()

    private enum Entry {
        case resolved([SocketAddress], expires: Timestamp)
        case failed(ReactorError, expires: Timestamp)
        case pending([UnsafeContinuation<Result<[SocketAddress], ReactorError>, Never>])
    }

    private let pool: BlockingThreadPool
    private let cache = Locked<[String: Entry]>([:])
    private let ttl: Duration
    private let negativeTTL: Duration
    private let clock: any MonotonicClock
    private let lookups = Atomic<Int>(0)

    /// How many getaddrinfo calls this resolver made (cache misses), for diagnostics and tests.
    public var lookupCount: Int { lookups.load(ordering: .relaxed) }

    /// Creates a resolver; `threads` bounds concurrent getaddrinfo calls.
    public init(threads: Int = 2, ttl: Duration = .seconds(30), negativeTTL: Duration = .seconds(2),
                clock: any MonotonicClock = SystemClock()) {
        pool = BlockingThreadPool(threadCount: threads)
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.clock = clock
    }

    public func resolve(host: String, port: Int) async throws(ReactorError) -> [SocketAddress] {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return [literal] }
        let key = host.lowercased()
        let now = clock.now()
        // A fresh answer needs no continuation.
        if let cached = cache.withLock({ Self.fresh($0[key], at: now) }) { return try cached.get().map { $0.withPort(port) } }
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[SocketAddress], ReactorError>, Never>) in
            // Decided again under the lock that registers the continuation: the lookup may have finished since
            // the check above, and then its answer is used rather than a second query started.
            enum Plan { case answer(Result<[SocketAddress], ReactorError>), wait, lookup }
            let plan = cache.withLock { cache -> Plan in
                if let cached = Self.fresh(cache[key], at: now) { return .answer(cached) }
                if case .pending(var waiters) = cache[key] {
                    waiters.append(continuation)
                    cache[key] = .pending(waiters)
                    return .wait
                }
                cache[key] = .pending([continuation])
                return .lookup
            }
            switch plan {
            case .answer(let cached): continuation.resume(returning: cached)
            case .wait: break
            case .lookup:
                pool.submit { [self] in
                    lookups.add(1, ordering: .relaxed)
                    let result = Self.getaddrinfo(host: host)
                    let expires = clock.now() + (result.isSuccess ? ttl : negativeTTL)
                    let waiters = cache.withLock { cache -> [UnsafeContinuation<Result<[SocketAddress], ReactorError>, Never>] in
                        guard case .pending(let waiters) = cache[key] else { return [] }
                        switch result {
                        case .success(let addresses): cache[key] = .resolved(addresses, expires: expires)
                        case .failure(let error): cache[key] = .failed(error, expires: expires)
                        }
                        return waiters
                    }
                    for waiter in waiters { waiter.resume(returning: result) }
                }
            }
        }
        return try result.get().map { $0.withPort(port) }
    }

    /// The cached outcome in `entry` if it has not expired at `now`.
    private static func fresh(_ entry: Entry?, at now: Timestamp) -> Result<[SocketAddress], ReactorError>? {
        switch entry {
        case .resolved(let addresses, let expires) where expires > now: .success(addresses)
        case .failed(let error, let expires) where expires > now: .failure(error)
        default: nil
        }
    }

    /// Drops every cached answer.
    public func clearCache() {
        cache.withLock { cache in cache = cache.filter { if case .pending = $0.value { true } else { false } } }
    }

    private static func getaddrinfo(host: String) -> Result<[SocketAddress], ReactorError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let list else {
            let message = String(cString: gai_strerror(status))
            return .failure(ReactorError(.resolutionFailed, context: "getaddrinfo(\(host)): \(message)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            if let raw = entry.pointee.ai_addr, let address = SocketAddress(raw, length: entry.pointee.ai_addrlen),
               !addresses.contains(address) {
                addresses.append(address)
            }
            cursor = entry.pointee.ai_next
        }
        if addresses.isEmpty {
            return .failure(ReactorError(.resolutionFailed, context: "getaddrinfo(\(host)) returned no stream addresses"))
        }
        return .success(addresses)
    }
}

extension Result {
    var isSuccess: Bool { if case .success = self { true } else { false } }
}
