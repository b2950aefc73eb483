import COpenSSL

/// A pin on a certificate's public key: the SHA-256 digest of its DER SubjectPublicKeyInfo
/// (the form used by HPKP, RFC 7469, and `curl --pinnedpubkey sha256//…`).
///
/// A connection passes pinning when any certificate in the verified chain has a pinned key, so
/// pinning an intermediate or a backup key survives leaf rotation.
public struct TLSPublicKeyPin: Sendable, Hashable, CustomStringConvertible {
    /// The 32-byte SHA-256 digest.
    public let sha256: [UInt8]

    /// A pin from a raw 32-byte digest; nil when the length is wrong.
    public init?(sha256: [UInt8]) {
        guard sha256.count == 32 else { return nil }
        self.sha256 = sha256
    }

    /// A pin from base64 text, optionally prefixed with `sha256/` or `sha256//`; nil when malformed.
    public init?(base64: String) {
        // The digest's base64 is always 44 characters and may itself begin with '/', so the prefix is what
        // precedes the last 44 rather than the longest prefix that matches ("sha256///A…" is `sha256//` + "/A…").
        let utf8 = Array(base64.utf8)
        guard utf8.count >= 44 else { return nil }
        let prefix = utf8[..<(utf8.count - 44)]
        guard prefix.isEmpty || prefix.elementsEqual("sha256/".utf8) || prefix.elementsEqual("sha256//".utf8) else {
            return nil
        }
        let input = Array(utf8.suffix(44))
        var output = [UInt8](repeating: 0, count: 33)
        let decoded = EVP_DecodeBlock(&output, input, Int32(input.count))
        // EVP_DecodeBlock ignores padding when counting, so a 32-byte digest decodes to 33 with one '='.
        guard decoded == 33, input.last == UInt8(ascii: "="), input[42] != UInt8(ascii: "=") else { return nil }
        self.sha256 = Array(output.prefix(32))
    }

    /// The base64 form, e.g. `sha256/AbC…=`.
    public var description: String { "sha256/" + Self.base64(sha256) }

    static func base64(_ bytes: [UInt8]) -> String {
        var output = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
        let length = EVP_EncodeBlock(&output, bytes, Int32(bytes.count))
        return String(decoding: output.prefix(Int(length)), as: UTF8.self)
    }
}
