import CourierCore

/// Where jitter comes from. The default draws from the system's generator; `seeded(_:)` gives a
/// reproducible sequence so tests (and simulations) of backoff and hedging are deterministic.
public struct RandomSource: Sendable {
    private let generate: @Sendable () -> UInt64

    /// A source that calls `generate` for each 64 random bits.
    public init(_ generate: @escaping @Sendable () -> UInt64) {
        self.generate = generate
    }

    /// The system's cryptographically secure generator.
    public static let system = RandomSource {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// A reproducible sequence (SplitMix64) starting from `seed`, safe to share between tasks.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        let state = SeededState(seed)
        return RandomSource { state.next() }
    }

    /// The next 64 random bits.
    public func next() -> UInt64 { generate() }

    /// A uniformly distributed value in `0 ..< 1`.
    public func unit() -> Double { Double(generate() >> 11) * 0x1p-53 }

    /// This source as a `RandomNumberGenerator`, for the pure decision types that take one.
    public var generator: Generator { Generator(source: self) }

    /// A `RandomNumberGenerator` view of a `RandomSource`.
    public struct Generator: RandomNumberGenerator {
        let source: RandomSource
        public mutating func next() -> UInt64 { source.next() }
    }
}

/// SplitMix64 behind a lock (Steele, Lea and Flood, 2014): tiny, fast, good enough for jitter.
private final class SeededState: Sendable {
    private let state: Locked<UInt64>
    init(_ seed: UInt64) { state = Locked(seed) }
    func next() -> UInt64 {
        state.withLock { state in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

extension RandomNumberGenerator {
    /// A uniformly distributed value in `0 ..< 1`.
    @inlinable
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
