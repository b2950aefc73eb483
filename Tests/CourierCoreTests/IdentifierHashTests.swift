import CourierCore
import Testing

@Suite("Identifier hash")
struct IdentifierHashTests {
    /// The bucket a dictionary of 1,024 buckets would pick, for each key.
    private func buckets(_ keys: some Sequence<UInt64>, seed: Int) -> Int {
        Set(keys.map { identifierHash($0, seed: seed) & 1023 }).count
    }

    /// Keys the pool and connections use: sequential numbers, odd stream identifiers, 16-byte aligned
    /// addresses. A random assignment of 1,024 keys fills about 647 of 1,024 buckets; a hash that kept the
    /// keys' pattern in its low bits would fill 512 (odd keys) or 64 (aligned addresses) at most.
    @Test(arguments: [0, 0x5DEE_CE66_D1CE_4E5B, -1])
    func spreadsTheKeysItIsUsedFor(seed: Int) {
        #expect(buckets(0..<1024, seed: seed) > 600)
        #expect(buckets((0..<1024).lazy.map { 2 * $0 + 1 }, seed: seed) > 600)
        #expect(buckets((0..<1024).lazy.map { 0x7f00_1234_0000 + 16 * $0 }, seed: seed) > 600)
    }

    @Test func dependsOnTheSeed() {
        #expect(identifierHash(42, seed: 1) != identifierHash(42, seed: 2))
        #expect(identifierHash(42, seed: 7) == identifierHash(42, seed: 7))
    }
}
