#if canImport(Glibc)
import Glibc
#endif

/// Counts this process's open file descriptors by listing /proc/self/fd (the directory's own
/// descriptor excluded), for leak checks.
public func openFileDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { count += 1 }
    }
    return count - 1
}

/// The open descriptors as (number, target) pairs, to name what leaked in a failure message.
public func openFileDescriptors() -> [(Int32, String)] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    closedir(directory)
    return names.compactMap { name in
        guard let fd = Int32(name) else { return nil }
        var target = [CChar](repeating: 0, count: 512)
        let length = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        let link = length > 0 ? String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        return (fd, link)
    }
}
