import CourierCore

/// A `TLSClientContext` compiled on first use, once: a client that never opens an `https` connection never
/// initializes OpenSSL or parses the trust store (about 4 MiB of memory and milliseconds of start-up).
public final class LazyTLSClientContext: Sendable {
    /// The configuration the context is compiled from.
    public let configuration: TLSClientConfiguration
    private let sessionCache: TLSSessionCache?
    private let compiled = Locked<Result<TLSClientContext, TLSError>?>(nil)

    /// Remembers `configuration` (and the session cache to share, if any) for the first `context()` call.
    public init(configuration: TLSClientConfiguration, sessionCache: TLSSessionCache? = nil) {
        self.configuration = configuration
        self.sessionCache = sessionCache
    }

    /// The compiled context; the first call compiles it (other callers wait), later calls return it or the
    /// same error.
    public func context() throws(TLSError) -> TLSClientContext {
        try compiled.withLock { compiled throws(TLSError) -> TLSClientContext in
            if let compiled { return try compiled.get() }
            do throws(TLSError) {
                let context = try TLSClientContext(configuration: configuration, sessionCache: sessionCache)
                compiled = .success(context)
                return context
            } catch {
                compiled = .failure(error)
                throw error
            }
        }
    }
}
