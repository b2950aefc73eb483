/// A hash for identifiers this process numbers itself (requests, connections, streams, object addresses),
/// for the dictionaries on the per-request path: `Hasher` (SipHash) costs some 200 instructions a lookup,
/// this a handful.
///
/// A multiply by a 64-bit odd constant mixes the value into the high bits, and folding them down gives the
/// low bits a dictionary indexes by; mixing in the dictionary's `seed` (random per table) first makes
/// which keys share a bucket differ from table to table. It is not a keyed hash, so it is only for keys
/// a peer does not choose, or for tables a limit keeps small.
@inlinable
public func identifierHash(_ value: UInt64, seed: Int) -> Int {
    let mixed = (value ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15
    return Int(truncatingIfNeeded: mixed ^ (mixed >> 29))
}
