import CourierTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// This process's resident memory in bytes (VmRSS from /proc/self/status).
func residentMemory() -> Int {
    guard let status = readProcFile("/proc/self/status") else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let digits = line.filter(\.isNumber)
        return (Int(digits) ?? 0) * 1024
    }
    return 0
}

/// This process's TCP sockets on 127.0.0.1:`port` (listening or connected; sockets already closed, such as
/// those in TIME_WAIT, have no inode), from /proc/net/tcp, described as "inode remote-address".
func openSockets(localPort port: Int) -> [String] {
    guard let text = readProcFile("/proc/net/tcp") else { return [] }
    let local = "0100007F:" + String(port, radix: 16, uppercase: true).leftPadded(to: 4)
    let mine = Set(openFileDescriptors().map(\.1))
    var sockets: [String] = []
    for line in text.split(separator: "\n").dropFirst() {
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        guard columns.count > 9, columns[1] == local, columns[9] != "0", mine.contains("socket:[\(columns[9])]") else { continue }
        sockets.append("\(columns[9]) \(columns[2])")
    }
    return sockets
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// The whole text of a /proc file (read in a loop: their size is reported as 0).
func readProcFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
