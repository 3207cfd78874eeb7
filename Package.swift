// swift-tools-version:6.0
import PackageDescription

/// How `workflowd`, `workflowctl` and `workflow-bench` link on Linux: with the Swift runtime and
/// Foundation inside them (BENCHMARKS.md, "A static Swift runtime").
///
/// `-static-stdlib` links the runtime's static libraries; the four named below are what the
/// static Foundation needs and the dynamic module it was compiled against does not name (they
/// are the toolchain's own: a toolchain that renames them fails this link loudly). SwiftPM's
/// `--static-swift-stdlib` would find them itself but must be given by every command that
/// builds. lld, which the toolchain ships, packs the relative relocations (`-z
/// pack-relative-relocs`, read by glibc 2.36 and later). `workflowd` holds 2–6 MiB less
/// (fewer pages of shared libraries and relocations touched). The code generator, a build-time
/// tool, links the runtime dynamically, as SwiftPM does by default.
let staticSwiftRuntime: [LinkerSetting] = [
    .unsafeFlags(["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux])),
    .linkedLibrary("CoreFoundation", .when(platforms: [.linux])),
    .linkedLibrary("_FoundationICU", .when(platforms: [.linux])),
    .linkedLibrary("_FoundationCShims", .when(platforms: [.linux])),
    .linkedLibrary("_FoundationCollections", .when(platforms: [.linux])),
]

/// Targets from the bottom up; imports only ever point down this list:
/// header fields | C shims → message runtime and generated messages → RPC core → transport |
/// model → engine | access control → service glue → executables. The code generator stands apart: only
/// Scripts/generate-protos.sh runs it.
let package = Package(
    name: "WorkflowEngine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "workflowd", targets: ["workflowd"]),
        .executable(name: "workflowctl", targets: ["workflowctl"]),
        // The public libraries; every other target's API is `package` access.
        // workflow.v1's messages and method descriptors as Swift values, for Swift clients.
        .library(name: "WorkflowMessages", targets: ["WorkflowMessages"]),
        // The engine and its model, for Swift services that run workflows in process with job
        // functions of their own (the template API).
        .library(name: "WorkflowEngine", targets: ["WorkflowEngine"]),
        // For the libFuzzer targets in Fuzz/ only (a separate package that depends on this one
        // and reaches the `package` API through `@testable import`).
        .library(
            name: "WorkflowEngineFuzzing",
            targets: ["RPCCore", "HeaderFields", "NGHTTP2", "HTTP2Transport", "GRPCHealth", "GRPCReflection", "WorkflowMessages"]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // SHA-256 of uploads and artifacts (BoringSSL's, several times faster than one in Swift).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // The HTTP/1.1 side port (JSON API, server-sent events, console, metrics).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Metrics: the swift-metrics API where they are measured, Prometheus's text format at /metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // TLS on both ports and for workflowctl (its own copy of BoringSSL, beside swift-crypto's).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Callers' bearer tokens: JWT signatures (HS256, ES256, RS256) and claims.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        // MARK: The header field type that the HTTP/2 wrapper and the RPC core both speak
        // (no dependencies), so the transport hands header blocks from one to the other as they are.
        .target(name: "HeaderFields"),

        // MARK: C shims (each imported by exactly one Swift target)
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .target(
            name: "CWorkflowProtos",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        .target(name: "CGRPCHealth", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "CGRPCReflection", linkerSettings: [.linkedLibrary("protobuf-c")]),

        // MARK: Swift wrappers over the C libraries
        .target(name: "NGHTTP2", dependencies: ["CNGHTTP2", "HeaderFields"]),
        // What every generated message shares: the message and enum protocols, C memory
        // handling, method descriptors. Imports no C module.
        .target(name: "MessageRuntime"),
        // workflow.v1 as Swift values, generated from Protos/ over the protoc-c code.
        .target(name: "WorkflowMessages", dependencies: ["CWorkflowProtos", "MessageRuntime"]),

        // MARK: gRPC semantics without I/O, and the HTTP/2 transport that carries them
        .target(name: "RPCCore", dependencies: ["HeaderFields", "MessageRuntime"]),
        // Stock gRPC services on the RPC core: health checking and server reflection, each with
        // its generated messages.
        .target(name: "GRPCHealth", dependencies: ["CGRPCHealth", "MessageRuntime", "RPCCore"]),
        .target(name: "GRPCReflection", dependencies: ["CGRPCReflection", "MessageRuntime", "RPCCore"]),
        .target(name: "CMallocControl"),
        // jemalloc's options, linked into workflowd (and workflow-bench, to match it).
        .target(name: "CJemallocSettings"),
        .target(
            name: "HTTP2Transport",
            dependencies: [
                "CMallocControl",
                "HeaderFields",
                "NGHTTP2",
                "RPCCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // TLS for connections (both ports, workflowctl): credentials from PEM files, reloadable; it
        // secures the HTTP/2 transport through the transport's own protocols, so the transport (and
        // the fuzz targets built on it) links no TLS library.
        .target(
            name: "TransportTLS",
            dependencies: [
                "HTTP2Transport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The client certificate's subject (swift-certificates comes with jwt-kit).
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),

        // The browser console's files (Console/), embedded by Scripts/embed-console.sh.
        .target(name: "ConsoleAssets"),
        // The HTTP/1.1 gateway: workflow.v1's routes as JSON requests and server-sent events,
        // translated to and from the protobuf calls of an RPC router; it never sees the engine.
        // It also serves the console.
        .target(
            name: "HTTPGateway",
            dependencies: [
                "RPCCore", "MessageRuntime", "WorkflowMessages", "ConsoleAssets", "TransportTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The domain and the engine that runs it
        .target(name: "WorkflowModel"),
        .target(
            name: "WorkflowEngine",
            dependencies: ["WorkflowModel", .product(name: "Logging", package: "swift-log")]
        ),
        // GRDB's prepared statements run with values bound through SQLite's C API (the store's hot inserts).
        .target(
            name: "SQLiteRows",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // The durable store behind the engine's event log: SQLite through GRDB, group commit.
        .target(
            name: "WorkflowStore",
            dependencies: [
                "CMallocControl", "SQLiteRows", "WorkflowEngine", "WorkflowModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Uploads and artifact files under the data directory (SHA-256 through swift-crypto).
        .target(
            name: "WorkflowFiles",
            dependencies: ["WorkflowEngine", "WorkflowModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The product's templates (IMPORT_ASSETS, RULE_EXECUTION, EXPORT_PACKAGE), the asset
        // registry they work on, and templates declared in a configuration file.
        .target(
            name: "WorkflowTemplates",
            dependencies: [
                "WorkflowEngine", "WorkflowModel", "WorkflowFiles", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),

        // MARK: Who a caller is and what it may do: bearer tokens (static or JWT), roles.
        .target(
            name: "AccessControl",
            dependencies: [
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // MARK: The model on the wire
        // Workflow trees packed by protoc-c straight from the model, for GetWorkflow: the one
        // target besides WorkflowMessages that imports CWorkflowProtos (its doc comment says why).
        .target(name: "WorkflowTreePacking", dependencies: ["CWorkflowProtos", "MessageRuntime", "WorkflowModel"]),

        // MARK: Glue from RPCs to the engine, and the executables
        .target(
            name: "WorkflowService",
            dependencies: [
                "WorkflowEngine", "WorkflowTemplates", "WorkflowFiles", "WorkflowMessages", "WorkflowTreePacking", "RPCCore",
                "HTTP2Transport", "GRPCHealth", "GRPCReflection", "HTTPGateway", "AccessControl",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "workflowd",
            dependencies: [
                "AccessControl",
                "CJemallocSettings",
                "WorkflowService",
                "HTTPGateway",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "WorkflowEngine",
                "WorkflowStore",
                "WorkflowTemplates",
                "WorkflowFiles",
                "HTTP2Transport",
                "TransportTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // jemalloc serves every allocation of the server (BENCHMARKS.md, "jemalloc").
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))] + staticSwiftRuntime
        ),

        // MARK: The command-line client (links the transport and messages, never the server)
        .target(
            name: "WorkflowCLI",
            dependencies: [
                "HTTP2Transport", "TransportTLS", "WorkflowMessages", "RPCCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "workflowctl",
            dependencies: [
                "WorkflowCLI",
                "WorkflowMessages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: staticSwiftRuntime
        ),

        // MARK: Code generation: Swift messages and service descriptors from a descriptor set
        .target(name: "SwiftMessageGenerator", dependencies: ["MessageRuntime"]),
        .executableTarget(name: "generate-swift-messages", dependencies: ["SwiftMessageGenerator"]),

        // MARK: Benchmarks (run by Scripts/bench.sh; see BENCHMARKS.md)
        // Counts the process's heap allocations by standing in for the malloc family, which it
        // forwards to jemalloc, the allocator workflowd links.
        .target(
            name: "CAllocationCounter",
            path: "Benchmarks/CAllocationCounter",
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "workflow-bench",
            dependencies: [
                "CAllocationCounter", "CJemallocSettings", "WorkflowEngine", "WorkflowMessages", "WorkflowModel", "WorkflowService", "WorkflowStore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/InProcess",
            linkerSettings: staticSwiftRuntime
        ),

        // MARK: Tests
        .testTarget(name: "NGHTTP2Tests", dependencies: ["NGHTTP2", "HeaderFields"]),
        .testTarget(name: "WorkflowMessagesTests", dependencies: ["WorkflowMessages", "MessageRuntime"]),
        // Runs protoc and protoc-c at test time: install them with Scripts/install-deps.sh --tests.
        .testTarget(name: "SwiftMessageGeneratorTests", dependencies: ["SwiftMessageGenerator"]),
        // The generated workflow.v1 descriptors sit below the RPC core: its tests name real methods.
        .testTarget(name: "RPCCoreTests", dependencies: ["RPCCore", "HeaderFields", "MessageRuntime", "WorkflowMessages"]),
        .testTarget(
            name: "HTTP2TransportTests",
            dependencies: [
                "HTTP2Transport", "HeaderFields", "NGHTTP2", "RPCCore", "TransportTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test doubles shared by the engine's and the service's tests.
        .target(name: "EngineTestSupport", dependencies: ["WorkflowEngine", "WorkflowModel"], path: "Tests/EngineTestSupport"),
        .testTarget(name: "WorkflowEngineTests", dependencies: ["WorkflowEngine", "EngineTestSupport"]),
        .testTarget(
            name: "WorkflowStoreTests",
            dependencies: ["SQLiteRows", "WorkflowStore", .product(name: "GRDB", package: "GRDB.swift"), "WorkflowEngine", "WorkflowModel", .product(name: "Logging", package: "swift-log")],
            // A database written by the store of 040abb2, and the script that made it.
            exclude: ["Fixtures/make-v1-database.sh"],
            resources: [.copy("Fixtures/v1-workflows.sqlite")]
        ),
        .testTarget(
            name: "WorkflowTemplatesTests",
            dependencies: [
                "WorkflowTemplates", "WorkflowEngine", "WorkflowModel", "WorkflowFiles", "WorkflowStore",
                .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "WorkflowFilesTests",
            dependencies: ["WorkflowFiles", "WorkflowModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "HTTPGatewayTests",
            dependencies: ["HTTPGateway", "RPCCore", "MessageRuntime", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(name: "WorkflowCLITests", dependencies: ["WorkflowCLI", "WorkflowMessages", "RPCCore"]),
        .testTarget(name: "AccessControlTests", dependencies: ["AccessControl", .product(name: "JWTKit", package: "jwt-kit")]),
        .testTarget(
            name: "WorkflowServiceTests",
            dependencies: [
                "WorkflowService", "WorkflowEngine", "WorkflowModel", "WorkflowMessages", "WorkflowTreePacking", "HTTP2Transport",
                "RPCCore", "MessageRuntime", "GRPCHealth", "GRPCReflection", "EngineTestSupport", "AccessControl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
