import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

/// The one funnel for system calls: retries EINTR, turns EAGAIN into a result, and reports other errnos
/// as `ReactorError` with context. Errnos that can only mean a bug in the reactor (EBADF, EFAULT, EINVAL on
/// calls whose arguments we control) trap with a message.
enum SystemCalls {
    /// The outcome of a non-blocking I/O call.
    enum IOResult: Equatable {
        case processed(Int)
        case wouldBlock
    }

    @inline(__always)
    static func io(_ what: @autoclosure () -> String, _ call: () -> Int) throws(ReactorError) -> IOResult {
        while true {
            let result = call()
            if result >= 0 { return .processed(result) }
            let error = courier_errno()
            switch error {
            case EINTR: continue
            case EAGAIN: return .wouldBlock
            case EBADF, EFAULT: preconditionFailure("reactor bug: \(what()) failed with errno \(error)")
            default: throw ReactorError(errno: error, context: what())
            }
        }
    }

    @inline(__always)
    static func call(_ what: @autoclosure () -> String, _ call: () -> Int32) throws(ReactorError) -> Int32 {
        while true {
            let result = call()
            if result >= 0 { return result }
            let error = courier_errno()
            if error == EINTR { continue }
            throw ReactorError(errno: error, context: what())
        }
    }

    static func close(_ fd: Int32) {
        // Linux always releases the descriptor, even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }

    static func setOption<T: BitwiseCopyable>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T) throws(ReactorError) {
        var value = value
        _ = try call("setsockopt(\(level), \(name))") {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<T>.size))
        }
    }

    static func socketError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { return courier_errno() }
        return error
    }
}
