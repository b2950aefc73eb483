// Defensive limits for parsing HTTP/1.1 messages from a peer that may be hostile.

/// Size limits the parsers enforce while reading, so a peer can never make us buffer without bound.
///
/// Each limit has a default that accepts every real-world response seen in practice (large cookies,
/// long CSP headers) while keeping the worst-case memory per connection around 100 KiB. Exceeding a
/// limit throws an `HTTP1Error` whose `isLimitExceeded` is true.
public struct HTTP1Limits: Hashable, Sendable {
    /// Longest status line or request line, without its CRLF. Default 8 KiB.
    public var maxStartLineLength: Int
    /// Longest single field line (name, colon, value), without its CRLF. Default 16 KiB.
    public var maxFieldLineLength: Int
    /// Largest head: start line, field lines and the empty line, CRLFs included. Default 64 KiB.
    public var maxHeadSize: Int
    /// Most field lines in one head, and separately in one trailer section. Default 256.
    public var maxFieldCount: Int
    /// Most bytes of chunk extensions (everything between a chunk size and its CRLF) in one message,
    /// summed over all its chunks. Bounds both one line and a flood of tiny chunks. Default 16 KiB.
    public var maxChunkExtensionSize: Int
    /// Largest trailer section (field lines and the final empty line). Default 16 KiB.
    public var maxTrailerSize: Int

    /// Creates limits; every argument defaults to the documented default.
    public init(
        maxStartLineLength: Int = 8 * 1024,
        maxFieldLineLength: Int = 16 * 1024,
        maxHeadSize: Int = 64 * 1024,
        maxFieldCount: Int = 256,
        maxChunkExtensionSize: Int = 16 * 1024,
        maxTrailerSize: Int = 16 * 1024
    ) {
        precondition(maxStartLineLength > 0 && maxFieldLineLength > 0 && maxHeadSize > 0 && maxFieldCount >= 0
                     && maxChunkExtensionSize >= 0 && maxTrailerSize > 0, "limits must be positive")
        // Field offsets are stored as 32-bit integers.
        precondition(maxHeadSize < Int(UInt32.max) / 2 && maxTrailerSize < Int(UInt32.max) / 2, "limit too large")
        self.maxStartLineLength = maxStartLineLength
        self.maxFieldLineLength = maxFieldLineLength
        self.maxHeadSize = maxHeadSize
        self.maxFieldCount = maxFieldCount
        self.maxChunkExtensionSize = maxChunkExtensionSize
        self.maxTrailerSize = maxTrailerSize
    }
}
