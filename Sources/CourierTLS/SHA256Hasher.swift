import COpenSSL
import CourierCore

/// SHA-256 (FIPS 180-4) fed incrementally through OpenSSL, which uses the CPU's SHA extensions where it has
/// them: checksums of bodies of any size in constant memory and at memory speed, such as the CLI's `bodySha256`.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// Starts an empty digest; nil only when OpenSSL cannot allocate one or its configuration offers no SHA-256.
    public init?() {
        guard let context = EVP_MD_CTX_new() else {
            _ = OpenSSLErrorQueue.drain()
            return nil
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            _ = OpenSSLErrorQueue.drain()
            return nil
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // Cannot fail for an initialised SHA-256 context (OpenSSL's implementation only counts and compresses).
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Adds the readable bytes of `buffer`.
    public func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { update($0) }
    }

    /// The 32-byte digest of everything added; the hasher starts over empty afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        _ = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        return digest
    }

    /// `finalize()` as 64 lowercase hexadecimal digits.
    public func finalizeHex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in finalize() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
