// swift-tools-version:6.1
// libFuzzer harnesses, one executable per folder in Sources/ (named Fuzz<Thing>).
// Built by `make -C Fuzz build` with -sanitize=fuzzer,address; see Fuzz/README.md.
import PackageDescription
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let harnesses = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path)) ?? [])
    .filter { $0.hasPrefix("Fuzz") }
    .sorted()

let courier = ["CourierCore", "CourierHPACK", "CourierHTTP1", "CourierHTTP2", "CourierTLS", "CourierTransport", "CourierPool", "Courier",
               "CourierResilience"]

let package = Package(
    name: "CourierFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Courier", path: "..")],
    targets: harnesses.map { name in
        .executableTarget(
            name: name,
            dependencies: courier.map { .product(name: $0, package: "Courier") },
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    }
)
