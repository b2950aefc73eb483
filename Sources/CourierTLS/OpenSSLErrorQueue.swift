import COpenSSL
import CCourierOpenSSLShims

/// OpenSSL's per-thread error queue, read into values.
///
/// The queue is thread-local and shared by every OpenSSL user on the thread, so each engine call
/// clears it first and drains it after a failure; stale entries would otherwise be blamed on the
/// wrong connection.
struct OpenSSLErrorQueue {
    /// One queued error: the packed code, its library and reason, and OpenSSL's text for it.
    struct Entry {
        let code: UInt
        let library: Int32
        let reason: Int32
        let text: String
    }

    let entries: [Entry]

    /// Removes every queued error on this thread and returns them, oldest first.
    static func drain() -> OpenSSLErrorQueue {
        var entries: [Entry] = []
        while true {
            var data: UnsafePointer<CChar>?
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var text = describe(code)
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                text += " (" + String(cString: data) + ")"
            }
            entries.append(Entry(code: code, library: courier_ERR_GET_LIB(code),
                                 reason: courier_ERR_GET_REASON(code), text: text))
        }
        return OpenSSLErrorQueue(entries: entries)
    }

    /// Drops every queued error on this thread. Peeking first keeps the usual case (an empty queue) cheap:
    /// `ERR_clear_error` walks all sixteen slots of the queue every time.
    @inline(__always)
    static func clear() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// OpenSSL's text for a packed error code, e.g. `error:0A000086:SSL routines::certificate verify failed`.
    static func describe(_ code: UInt) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }

    /// The texts, oldest first.
    var texts: [String] { entries.map(\.text) }

    /// The first entry from the SSL library, which names the reason a handshake or record failed.
    var firstSSLReason: Int32? { entries.first { $0.library == ERR_LIB_SSL }?.reason }

    /// Whether any entry has this SSL library reason.
    func contains(sslReason: Int32) -> Bool {
        entries.contains { $0.library == ERR_LIB_SSL && $0.reason == sslReason }
    }
}
