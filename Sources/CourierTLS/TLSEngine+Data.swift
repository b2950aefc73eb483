#if canImport(Glibc)
import Glibc
#endif
import CourierCore
import COpenSSL
import CCourierOpenSSLShims

extension TLSEngine {
    /// The plaintext OpenSSL produces per record at most (TLS's 2^14 limit); writes go out in records of
    /// this size, which is what keeps per-record overhead low for bulk transfers.
    static let recordSize = 16384

    /// Decrypts what has been fed and appends up to `maximumBytes` of plaintext to `buffer`, decrypting
    /// straight into the buffer's writable memory. Data read before a close or an error is returned
    /// first; the next call reports the close or throws the error.
    public func readPlaintext(into buffer: inout ByteBuffer, maximumBytes: Int = 256 * 1024) throws(TLSError) -> TLSReadResult {
        switch state {
        case .failed(let error): throw error
        case .closed(let reason): return .closed(reason)
        case .handshaking:
            throw TLSError(code: .misuse, detail: "readPlaintext called before the handshake completed")
        case .established: break
        }
        precondition(maximumBytes > 0, "maximumBytes must be positive")
        var total = 0
        while total < maximumBytes {
            let wanted = min(maximumBytes - total, max(1, plaintextBound))
            var result: Int32 = 0
            OpenSSLErrorQueue.clear()
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { region in
                result = SSL_read(ssl, region.baseAddress, Int32(min(region.count, maximumBytes - total)))
                return result > 0 ? Int(result) : 0
            }
            if result > 0 {
                total += Int(result)
                if !hasInputToProcess { return .read(total) }
                continue
            }
            let code = SSL_get_error(ssl, result)
            if code == SSL_ERROR_WANT_READ { return total > 0 ? .read(total) : .wantRead }
            if code == SSL_ERROR_ZERO_RETURN {
                // The peer's side ended: with close_notify everything it sent has arrived; without, the
                // stream just stopped (OpenSSL reports both alike, see OpenSSLContextBuilder). Our side
                // stays open for writing (half-close) until the driver calls close().
                OpenSSLErrorQueue.clear()
                state = .closed(closeNotifyReceived ? .closeNotify : .truncated)
            } else if let error = failureOrTruncation(sslError: code) {
                fail(error)
            } else {
                state = .closed(.truncated)
            }
            if total > 0 { return .read(total) }
            if case .failed(let error) = state { throw error }
            if case .closed(let reason) = state { return .closed(reason) }
        }
        return .read(total)
    }

    /// At most how much plaintext a read could produce now: what OpenSSL already decrypted plus the ciphertext
    /// not yet given to it (a record's plaintext is never longer than its ciphertext), plus a whole record when
    /// OpenSSL holds part of one it has not decrypted yet. Sizing the buffer from it keeps a small response in
    /// a small allocation and lets a bulk read take one allocation for all the records at hand.
    public var plaintextBound: Int {
        let decrypted = Int(SSL_pending(ssl))
        let partialRecord = decrypted == 0 && SSL_has_pending(ssl) != 0 ? Self.recordSize : 0
        return decrypted + courier_inbound_bio_pending(inbound) + partialRecord
    }

    /// A read that ended with an error: nil when it is the stream ending without close_notify (a truncation,
    /// which is the protocol layer's to judge), otherwise the typed failure.
    private func failureOrTruncation(sslError code: Int32) -> TLSError? {
        if endOfStreamReceived && code == SSL_ERROR_SYSCALL {
            OpenSSLErrorQueue.clear()
            return nil
        }
        if endOfStreamReceived && code == SSL_ERROR_SSL
            && ERR_peek_error() != 0
            && courier_ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return failure(sslError: code, duringHandshake: false)
    }

    /// Encrypts plaintext into records and returns how many bytes were consumed. Stops early once
    /// `maximumBufferedCiphertext` is waiting to be sent, so memory stays bounded: send the outbound
    /// ciphertext, then call again with the rest. Returns 0 when the buffer is already full.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Int {
        switch state {
        case .failed(let error): throw error
        case .handshaking:
            throw TLSError(code: .misuse, detail: "writePlaintext called before the handshake completed")
        case .closed, .established:
            // After the peer's side ended ours may still write (half-close) until close().
            if closeNotifySent {
                throw TLSError(code: .connectionClosed, detail: "the TLS session was closed (close_notify sent)")
            }
        }
        guard !bytes.isEmpty else { return 0 }
        var consumed = 0
        while consumed < bytes.count && Int(BIO_ctrl_pending(outbound)) < maximumBufferedCiphertext {
            let chunk = min(bytes.count - consumed, Self.recordSize)
            OpenSSLErrorQueue.clear()
            let written = SSL_write(ssl, bytes.baseAddress! + consumed, Int32(chunk))
            if written > 0 {
                consumed += Int(written)
                continue
            }
            let code = SSL_get_error(ssl, written)
            let error = failure(sslError: code, duringHandshake: false)
            if consumed > 0 {
                fail(error)
                return consumed
            }
            throw fail(error)
        }
        return consumed
    }

    /// Encrypts the readable bytes of `buffer` (without consuming them there); see `writePlaintext(_:)`.
    public func writePlaintext(_ buffer: ByteBuffer) throws(TLSError) -> Int {
        try buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(TLSError) -> Int in try writePlaintext(bytes) }
        }.get()
    }

    /// Queues close_notify so the peer knows no data was cut off; call it when done writing, and also
    /// after reading `.closed(.closeNotify)` (a TLS 1.2 peer expects the reply at once). Returns false
    /// when there is nothing to send (the handshake never completed, the session failed, or
    /// close_notify already went out).
    /// Either way, send the outbound ciphertext and close the socket; waiting for the peer's reply is
    /// optional (RFC 8446 §6.1).
    @discardableResult
    public func close() -> Bool {
        guard isHandshakeComplete, !closeNotifySent else { return false }
        closeNotifySent = true
        OpenSSLErrorQueue.clear()
        let result = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
        return result >= 0
    }
}
