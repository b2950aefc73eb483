#if canImport(Glibc)
import Glibc
#endif

/// Whether this process was built with AddressSanitizer or ThreadSanitizer (their runtimes are linked in).
/// Resident-memory bounds do not hold there: ASan keeps freed memory in quarantine and both add shadow
/// memory, so tests skip those bounds (plain `make test` keeps them) and check everything else.
public func runsUnderSanitizer() -> Bool {
    dlsym(nil, "__tsan_init") != nil || dlsym(nil, "__asan_init") != nil
}
