import CourierCore
import CourierReactor
import CourierTransport
import Synchronization

/// A client's pools, one per origin, created on first use.
public final class ConnectionPools: Sendable {
    private let pools = Locked<Pools>(Pools())
    private let configuration: ConnectionPoolConfiguration
    private let factory: ClientConnectionFactory
    private let group: EventLoopGroup
    private let isShutDown = Atomic<Bool>(false)
    private let statisticsObserver: OriginPool.StatisticsObserver?
    /// The client-wide connection limit every origin's pool shares.
    public let budget: ConnectionBudget

    /// Creates an empty set of pools sharing one configuration, connection factory and loops;
    /// `statisticsObserver` hears each pool's occupancy changes (for metrics); at most `maximumConnections`
    /// (nil: no limit) are open across all origins.
    public init(configuration: ConnectionPoolConfiguration, factory: ClientConnectionFactory, group: EventLoopGroup,
                statisticsObserver: OriginPool.StatisticsObserver? = nil, maximumConnections: Int? = nil) {
        self.configuration = configuration
        budget = ConnectionBudget(limit: maximumConnections)
        self.factory = factory
        self.group = group
        self.statisticsObserver = statisticsObserver
    }

    /// The pools by origin, and the one used last: most clients talk to one origin, and comparing an origin
    /// costs less than hashing its strings.
    private struct Pools {
        var byOrigin: [Origin: OriginPool] = [:]
        var last: OriginPool?
    }

    /// Every pool's current occupancy.
    public var statistics: [Origin: PoolStatistics] {
        let all = pools.withLock { $0.byOrigin }
        return all.mapValues(\.statistics)
    }

    /// The pool for `origin`, or nil after shutdown.
    public func pool(for origin: Origin) -> OriginPool? {
        guard !isShutDown.load(ordering: .acquiring) else { return nil }
        return pools.withLock { pools in
            if let last = pools.last, last.origin == origin { return last }
            if let pool = pools.byOrigin[origin] {
                pools.last = pool
                return pool
            }
            let pool = OriginPool(origin: origin, configuration: configuration, factory: factory, group: group,
                                  statisticsObserver: statisticsObserver, budget: budget)
            pools.byOrigin[origin] = pool
            pools.last = pool
            return pool
        }
    }

    /// Shuts every pool down: waiting requests fail, connections close once their exchanges finish.
    public func shutdown() async {
        isShutDown.store(true, ordering: .releasing)
        let all = pools.withLock { Array($0.byOrigin.values) }
        for pool in all { await pool.shutdown() }
    }
}
