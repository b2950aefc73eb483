// swift-tools-version:6.1
// Benchmarks, a separate package so the library's users never build them.
// Each folder in Sources/ named Bench<Thing> is an executable printing its figures. LoadAsyncHTTPClient is
// AsyncHTTPClient's side of the load comparison that `make bench` (bench.py) runs against `courier bench`.
import PackageDescription
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let benches = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources").path)) ?? [])
    .filter { $0.hasPrefix("Bench") }
    .sorted()

let courier = ["Courier", "CourierCore", "CourierHPACK", "CourierHTTP1", "CourierHTTP2", "CourierReactor",
               "CourierTLS", "CourierTransport", "CourierPool", "CourierTestServer", "CourierResilience"]

let package = Package(
    name: "CourierBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Courier", path: ".."),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
    ],
    targets: benches.map { name in
        .executableTarget(
            name: name,
            dependencies: courier.map { .product(name: $0, package: "Courier") },
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    } + [
        .executableTarget(
            name: "LoadAsyncHTTPClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
