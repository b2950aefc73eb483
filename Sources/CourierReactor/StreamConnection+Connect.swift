import CourierCore
import CCourierSystem
#if canImport(Glibc)
import Glibc
#endif

extension StreamConnection {
    /// Connects to `address` from `loop`, failing with `timedOut` after `timeout`.
    /// Cancelling the calling task abandons the attempt with `cancelled`. The connection is returned
    /// unstarted: call `start(handler:)` on its loop.
    public static func connect(
        to address: SocketAddress, on loop: EventLoop,
        options: SocketOptions = SocketOptions(), timeout: Duration? = nil
    ) async throws(ReactorError) -> StreamConnection {
        let connection = try makeSocket(for: address, on: loop, options: options)
        let result: Result<StreamConnection, ReactorError> = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                loop.execute {
                    if Task.isCancelled { connection.cancelConnect(ReactorError(.cancelled, context: "connect(\(address))")) }
                    connection.beginConnect(timeout: timeout) { result in
                        continuation.resume(returning: result.map { connection })
                    }
                }
            }
        } onCancel: {
            loop.execute { connection.cancelConnect(ReactorError(.cancelled, context: "connect(\(address))")) }
        }
        return try result.get()
    }

    /// Resolves `host` and connects to the first address that answers, racing IPv6 and IPv4 candidates
    /// (Happy Eyeballs v2, RFC 8305): families alternate, a new attempt starts every `attemptDelay` or as
    /// soon as the previous one fails, and the losers are closed. `timeout` bounds the whole race.
    public static func connect(
        host: String, port: Int, on loop: EventLoop,
        resolver: any Resolver = SystemResolver.shared,
        options: SocketOptions = SocketOptions(),
        timeout: Duration? = nil,
        attemptDelay: Duration = .milliseconds(250)
    ) async throws(ReactorError) -> StreamConnection {
        let addresses = try await resolver.resolve(host: host, port: port)
        guard !addresses.isEmpty else {
            throw ReactorError(.resolutionFailed, context: "no addresses for \(host)")
        }
        if addresses.count == 1 {
            return try await connect(to: addresses[0], on: loop, options: options, timeout: timeout)
        }
        let race = HappyEyeballsRace(addresses: HappyEyeballsRace.interleave(addresses), loop: loop,
                                     options: options, attemptDelay: attemptDelay, timeout: timeout,
                                     description: "\(host):\(port)")
        let result: Result<StreamConnection, ReactorError> = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                loop.execute { race.start { continuation.resume(returning: $0) } }
            }
        } onCancel: {
            loop.execute { race.cancel(ReactorError(.cancelled, context: "connect(\(host):\(port))")) }
        }
        return try result.get()
    }

    /// Creates a non-blocking socket for `address` with `options` applied, wrapped unstarted.
    static func makeSocket(for address: SocketAddress, on loop: EventLoop,
                           options: SocketOptions) throws(ReactorError) -> StreamConnection {
        let fd = try SystemCalls.call("socket(\(address))") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do {
            try applyOptions(options, to: fd, family: address.family)
        } catch {
            SystemCalls.close(fd)
            throw error
        }
        return StreamConnection(fd: fd, loop: loop, remoteAddress: address, options: options)
    }

    static func applyOptions(_ options: SocketOptions, to fd: Int32, family: Int32) throws(ReactorError) {
        if family != AF_UNIX {
            if options.noDelay { try SystemCalls.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, Int32(1)) }
            if let idle = options.keepAliveIdle {
                try SystemCalls.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, Int32(1))
                let seconds = Int32(clamping: max(1, idle.components.seconds))
                try SystemCalls.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, seconds)
                try SystemCalls.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, seconds)
            }
        }
        if let size = options.receiveBufferSize { try SystemCalls.setOption(fd, SOL_SOCKET, SO_RCVBUF, Int32(clamping: size)) }
        if let size = options.sendBufferSize { try SystemCalls.setOption(fd, SOL_SOCKET, SO_SNDBUF, Int32(clamping: size)) }
    }
}

/// One Happy Eyeballs race (RFC 8305 §5), confined to a loop.
/// Sendable proof: created off the loop but then touched only inside `loop.execute` closures and callbacks
/// that run on the loop (`start`, `cancel`, timers, connect completions), so its state has one thread.
final class HappyEyeballsRace: @unchecked Sendable {
    private let addresses: [SocketAddress]
    private let loop: EventLoop
    private let options: SocketOptions
    private let attemptDelay: Duration
    private let timeout: Duration?
    private let description: String
    private var nextIndex = 0
    private var inFlight: [ObjectIdentifier: StreamConnection] = [:]
    private var errors: [ReactorError] = []
    private var staggerTimer: ScheduledTask?
    private var deadlineTimer: ScheduledTask?
    private var completion: ((Result<StreamConnection, ReactorError>) -> Void)?

    init(addresses: [SocketAddress], loop: EventLoop, options: SocketOptions, attemptDelay: Duration,
         timeout: Duration?, description: String) {
        self.addresses = addresses
        self.loop = loop
        self.options = options
        self.attemptDelay = attemptDelay
        self.timeout = timeout
        self.description = description
    }

    /// Orders addresses for the race: the resolver's first family first, then alternating families.
    static func interleave(_ addresses: [SocketAddress]) -> [SocketAddress] {
        guard let first = addresses.first else { return [] }
        let preferred = addresses.filter { $0.isIPv6 == first.isIPv6 }
        let other = addresses.filter { $0.isIPv6 != first.isIPv6 }
        var result: [SocketAddress] = []
        result.reserveCapacity(addresses.count)
        for index in 0..<max(preferred.count, other.count) {
            if index < preferred.count { result.append(preferred[index]) }
            if index < other.count { result.append(other[index]) }
        }
        return result
    }

    func start(_ completion: @escaping (Result<StreamConnection, ReactorError>) -> Void) {
        loop.assertInEventLoop()
        self.completion = completion
        if let timeout {
            deadlineTimer = loop.scheduleLocal(at: SystemClock.now() + timeout) { [self] in
                cancel(ReactorError(.timedOut, context: "connect(\(description)) after \(timeout)"))
            }
        }
        startNextAttempt()
    }

    func cancel(_ error: ReactorError) {
        guard completion != nil else { return }
        let pending = inFlight.values
        inFlight.removeAll()
        finish(.failure(error))
        for connection in pending { connection.cancelConnect(error) }
    }

    private func startNextAttempt() {
        staggerTimer?.cancel()
        staggerTimer = nil
        while completion != nil, nextIndex < addresses.count {
            let address = addresses[nextIndex]
            nextIndex += 1
            let connection: StreamConnection
            do {
                connection = try StreamConnection.makeSocket(for: address, on: loop, options: options)
            } catch {
                errors.append(error)
                continue
            }
            inFlight[ObjectIdentifier(connection)] = connection
            if nextIndex < addresses.count {
                staggerTimer = loop.scheduleLocal(at: SystemClock.now() + attemptDelay) { [self] in startNextAttempt() }
            }
            connection.beginConnect(timeout: nil) { [self] result in attemptFinished(connection, result) }
            return
        }
        if inFlight.isEmpty { finishWithErrors() }
    }

    private func attemptFinished(_ connection: StreamConnection, _ result: Result<Void, ReactorError>) {
        guard inFlight.removeValue(forKey: ObjectIdentifier(connection)) != nil, completion != nil else { return }
        switch result {
        case .success:
            // Finish first: the losers' cancellation callbacks then find nothing to report to.
            let losers = inFlight.values
            inFlight.removeAll()
            finish(.success(connection))
            for loser in losers {
                loser.cancelConnect(ReactorError(.cancelled, context: "lost the Happy Eyeballs race"))
            }
        case .failure(let error):
            errors.append(error)
            if nextIndex < addresses.count {
                startNextAttempt()
            } else if inFlight.isEmpty {
                finishWithErrors()
            }
        }
    }

    private func finishWithErrors() {
        let first = errors.first ?? ReactorError(.unreachable, context: "no usable address")
        let tried = addresses.map(\.description).joined(separator: ", ")
        finish(.failure(ReactorError(first.code, errno: first.errno, context: "connect(\(description)) tried \(tried): \(first.context)")))
    }

    private func finish(_ result: Result<StreamConnection, ReactorError>) {
        staggerTimer?.cancel()
        deadlineTimer?.cancel()
        staggerTimer = nil
        deadlineTimer = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
