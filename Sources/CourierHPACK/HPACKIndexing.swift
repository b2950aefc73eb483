/// How a field relates to the HPACK dynamic table: the three literal kinds of RFC 7541 §6.2, with
/// "indexed" folded into `.indexable`.
///
/// A decoder reports the representation it saw, and an encoder takes the caller's wish. Preserving
/// `.neverIndexed` end to end is what RFC 7541 §7.1.3 asks of intermediaries.
public enum HPACKIndexing: UInt8, Hashable, Sendable {
    /// Decoding: the field was an indexed representation or a literal with incremental indexing.
    /// Encoding: the encoder's policy decides whether to add it to the dynamic table.
    case indexable
    /// A literal that was not (decoding) or must not be (encoding) added to the dynamic table, though
    /// a later hop may index it (RFC 7541 §6.2.2).
    case withoutIndexing
    /// A literal that no encoder may ever index, here or at any intermediary; for secrets such as
    /// credentials, so that they cannot be probed through compression (RFC 7541 §6.2.3, §7.1).
    case neverIndexed
}
