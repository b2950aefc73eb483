// swift-tools-version:6.1
// Courier: an HTTP/1.1 + HTTP/2 client for Swift on raw sockets.
// Layers (dependencies point down only; `Scripts/check-layers.sh` enforces it):
//   CourierCore ← CourierHPACK, CourierHTTP1 ← CourierHTTP2
//   CourierCore ← CourierReactor (epoll), CourierTLS (OpenSSL)
//   CourierReactor, CourierTLS, CourierHTTP1, CourierHTTP2 ← CourierTransport ← CourierPool ← Courier ← CourierResilience
//   CourierTransport ← CourierTestServer;  Courier, CourierResilience, CourierTestServer ← courier (CLI)
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Courier",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Courier", targets: ["Courier"]),
        .library(name: "CourierResilience", targets: ["CourierResilience"]),
        .library(name: "CourierTestServer", targets: ["CourierTestServer"]),
        // The layers below the client, for benchmarks, fuzzing and users who want one piece alone.
        .library(name: "CourierCore", targets: ["CourierCore"]),
        .library(name: "CourierHPACK", targets: ["CourierHPACK"]),
        .library(name: "CourierHTTP1", targets: ["CourierHTTP1"]),
        .library(name: "CourierHTTP2", targets: ["CourierHTTP2"]),
        .library(name: "CourierReactor", targets: ["CourierReactor"]),
        .library(name: "CourierTLS", targets: ["CourierTLS"]),
        .library(name: "CourierTransport", targets: ["CourierTransport"]),
        .library(name: "CourierPool", targets: ["CourierPool"]),
        .executable(name: "courier", targets: ["CourierCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C bridges: only the reactor touches epoll, only TLS touches OpenSSL.
        .target(name: "CCourierSystem"),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "CCourierOpenSSLShims", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "CourierCore", swiftSettings: strict),
        .target(name: "CourierHPACK", dependencies: ["CourierCore"], swiftSettings: strict),
        .target(name: "CourierHTTP1", dependencies: ["CourierCore"], swiftSettings: strict),
        .target(name: "CourierHTTP2", dependencies: ["CourierCore", "CourierHPACK"], swiftSettings: strict),
        .target(name: "CourierReactor", dependencies: ["CourierCore", "CCourierSystem"], swiftSettings: strict),
        .target(name: "CourierTLS", dependencies: ["CourierCore", "COpenSSL", "CCourierOpenSSLShims"],
                swiftSettings: strict),
        .target(name: "CourierTransport",
                dependencies: ["CourierCore", "CourierReactor", "CourierTLS", "CourierHTTP1", "CourierHTTP2",
                               .product(name: "HTTPTypes", package: "swift-http-types")],
                swiftSettings: strict),
        .target(name: "CourierPool", dependencies: ["CourierCore", "CourierTransport"], swiftSettings: strict),
        .target(name: "Courier",
                dependencies: ["CourierCore", "CourierReactor", "CourierTLS", "CourierHTTP2", "CourierTransport", "CourierPool", "CZlib",
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Metrics", package: "swift-metrics")],
                swiftSettings: strict),
        .target(name: "CourierResilience",
                dependencies: ["Courier", "CourierCore",
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "Metrics", package: "swift-metrics")],
                swiftSettings: strict),
        .target(name: "CourierTestServer",
                dependencies: ["CourierCore", "CourierReactor", "CourierTLS", "CourierTransport",
                               "CourierHTTP1", "CourierHTTP2",
                               .product(name: "HTTPTypes", package: "swift-http-types")],
                swiftSettings: strict),
        .executableTarget(name: "CourierCLI",
                          dependencies: ["Courier", "CourierResilience", "CourierTestServer", "CourierCore",
                                         .product(name: "HTTPTypes", package: "swift-http-types"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Histogram", package: "hdrhistogram-swift")],
                          swiftSettings: strict),

        // Helpers shared by the test targets (timeouts, fd counting, fixtures); not a product.
        .target(name: "CourierTestSupport", dependencies: ["CourierCore"], path: "Tests/CourierTestSupport",
                swiftSettings: strict),

        .testTarget(name: "CourierCoreTests", dependencies: ["CourierCore", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierHPACKTests", dependencies: ["CourierHPACK", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierHTTP1Tests", dependencies: ["CourierHTTP1", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierHTTP2Tests", dependencies: ["CourierHTTP2", "CourierHPACK", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierReactorTests", dependencies: ["CourierReactor", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierTLSTests", dependencies: ["CourierTLS", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierTransportTests", dependencies: ["CourierTransport", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierPoolTests", dependencies: ["CourierPool", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierTests", dependencies: ["Courier", "CourierTLS", "CourierTestServer", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierResilienceTests",
                    dependencies: ["CourierResilience", "Courier", "CourierTestServer", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierTestServerTests", dependencies: ["CourierTestServer", "CourierTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CourierCLITests", dependencies: ["CourierTestServer", "CourierTestSupport"],
                    swiftSettings: strict),
    ]
)
