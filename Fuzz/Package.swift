// swift-tools-version:6.0
import Foundation
import PackageDescription

/// libFuzzer targets for WorkflowEngine, kept out of the main package so `swift build` and
/// `swift test` never see them. Build and run them with `Scripts/fuzz.sh`
/// (`swift build --sanitize=fuzzer --sanitize=address`); each is an executable whose
/// `LLVMFuzzerTestOneInput` libFuzzer calls. The root package's API is `package` access, which
/// another package reaches only through `@testable import` (the script builds with
/// `-enable-testing`).
let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

/// SwiftPM names a path dependency after its folder, which is whatever the clone is called
/// (CI clones into folders of its own), so the name is read from this file's location.
let rootPackage = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .lastPathComponent
    .lowercased()

let package = Package(
    name: "WorkflowEngineFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzDeframer",
            dependencies: [.product(name: "WorkflowEngineFuzzing", package: rootPackage)],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzCodecs",
            dependencies: [.product(name: "WorkflowEngineFuzzing", package: rootPackage)],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzRequests",
            dependencies: [.product(name: "WorkflowEngineFuzzing", package: rootPackage)],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzServerConnection",
            dependencies: [
                .product(name: "WorkflowEngineFuzzing", package: rootPackage),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: fuzzerFlags
        ),
    ],
    swiftLanguageModes: [.v6]
)
