import CourierCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process for interop tests (nginx, nghttpd, curl, openssl), spawned with posix_spawn and reaped
/// with waitpid, so stopping it never depends on a run loop. It runs under `timeout` so that even if the
/// test process dies, the child does not outlive it by more than `lifetime`.
public final class ChildProcess: @unchecked Sendable {
    // Sendable proof: `pid` is immutable; `reaped` is only touched by `stop`/`wait`, which tests call from
    // one place at the end.

    /// The child's process id.
    public let pid: pid_t
    private var reaped = false
    private var exitStatus: Int32 = 0

    /// Starts `arguments[0]` (an absolute path) with the rest as arguments; output goes to `outputPath`
    /// (or /dev/null).
    public init(_ arguments: [String], outputPath: String? = nil, lifetime: Int = 900) throws {
        let argv = ["/usr/bin/timeout", "--signal=KILL", "\(lifetime)"] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let output = outputPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var child = pid_t()
        let status = posix_spawn(&child, argv[0], &actions, nil, &cArguments, environ)
        guard status == 0 else { throw FixtureError(path: "cannot spawn \(arguments[0]): errno \(status)") }
        pid = child
    }

    /// Whether the child is still running (reaping it if it exited).
    public var isRunning: Bool {
        if reaped { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            reaped = true
            exitStatus = status
            return false
        }
        return result == 0
    }

    /// Waits for the child to exit (at most `seconds`, then kills it) and returns its exit code.
    @discardableResult
    public func wait(seconds: Double = 60) -> Int32 {
        var waited = 0.0
        while isRunning && waited < seconds {
            usleep(10_000)
            waited += 0.01
        }
        if isRunning { stop() }
        return (exitStatus >> 8) & 0xff
    }

    /// Waits without holding a thread for the child to exit (at most `timeLimit`, then stops it) and returns
    /// its exit code.
    public func exitCode(timeLimit: Duration = .seconds(60)) async -> Int32 {
        let deadline = ContinuousClock.now + timeLimit
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if isRunning { stop() }
        return (exitStatus >> 8) & 0xff
    }

    /// Kills the child (and what it runs) and returns at once; a reaper thread collects it. Tests call this
    /// from async code: waiting here would hold one of the few cooperative threads other tests need.
    public func stop() {
        guard isRunning else { return }
        // `timeout` leads its own process group: SIGKILL to the group ends the program it runs too, at once
        // (nginx without a master process does not exit on SIGTERM here, and a test server owes no grace).
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        reaped = true
        ChildReaper.shared.reap(pid)
    }

    deinit { stop() }
}

/// Reaps stopped children on its own thread, escalating to SIGKILL after a grace period.
final class ChildReaper: Sendable {
    static let shared = ChildReaper()
    private let pending = Locked<[(pid: pid_t, deadline: Double)]>([])

    private init() {
        let thread = Thread { [self] in self.run() }
        thread.name = "child-reaper"
        thread.start()
    }

    func reap(_ pid: pid_t) {
        pending.withLock { $0.append((pid, Self.now() + 1)) }
    }

    private func run() {
        while true {
            let now = Self.now()
            pending.withLock { list in
                list.removeAll { entry in
                    var status: Int32 = 0
                    if waitpid(entry.pid, &status, WNOHANG) != 0 { return true }
                    if now > entry.deadline {
                        kill(-entry.pid, SIGKILL)
                        kill(entry.pid, SIGKILL)
                        waitpid(entry.pid, &status, 0)
                        return true
                    }
                    return false
                }
            }
            usleep(10_000)
        }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
