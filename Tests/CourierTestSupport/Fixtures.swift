#if canImport(Glibc)
import Glibc
#endif

/// Locates the conformance fixtures in `Tests/Fixtures/` (copied from public test suites; see
/// `Tests/Fixtures/SOURCES.md` for origins and licenses).
public enum Fixtures {
    /// Absolute path of `Tests/Fixtures`, derived from this file's location in the source tree.
    public static let directory: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Fixtures"
    }()

    /// Absolute path of a fixture file given its path relative to `Tests/Fixtures`.
    public static func path(_ relative: String) -> String { directory + "/" + relative }

    /// The bytes of a fixture file.
    public static func bytes(_ relative: String) throws -> [UInt8] {
        let path = path(relative)
        guard let file = fopen(path, "rb") else { throw FixtureError(path: path) }
        defer { fclose(file) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// Names of the files in a fixture directory, sorted.
    public static func list(_ relative: String) -> [String] {
        guard let directory = opendir(path(relative)) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted()
    }
}

/// A fixture file could not be read.
public struct FixtureError: Error, CustomStringConvertible {
    /// The path that failed.
    public let path: String
    public var description: String { "cannot read fixture \(path)" }
}
