import CourierCore
import CourierTLS
import Testing

/// SHA-256 through OpenSSL against the FIPS 180-4 examples, fed whole and in uneven pieces.
@Suite struct SHA256HasherTests {
    @Test func knownDigests() throws {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        for (message, expected) in vectors {
            let hasher = try #require(SHA256Hasher())
            Array(message.utf8).withUnsafeBytes { hasher.update($0) }
            #expect(hasher.finalizeHex() == expected, "\(message)")
        }
    }

    @Test func millionAsInUnevenPiecesAndByteBuffers() throws {
        let hasher = try #require(SHA256Hasher())
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var offset = 0, step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            hasher.update(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
            step = step * 3 % 65_537
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func finalizeStartsOver() throws {
        let hasher = try #require(SHA256Hasher())
        Array("abc".utf8).withUnsafeBytes { hasher.update($0) }
        _ = hasher.finalize()
        #expect(hasher.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
