import AccessControl
import Foundation
import GRPCHealth
import GRPCReflection
import HTTP2Transport
import HTTPGateway
import Logging
import NIOCore
import NIOPosix
import RPCCore
import Synchronization
import WorkflowEngine
import WorkflowFiles
import WorkflowMessages
import WorkflowTemplates

/// The whole service: the engine, `workflow.v1.WorkflowService` on top of it, and the gRPC
/// server that carries it.
///
/// Connections spread over ``Configuration/eventLoops`` event loops, and a handler on any of
/// them reaches the engine with a function call under the engine's lock
/// (``LockedEngineExecutor``) instead of an actor hop; jobs themselves run on Swift's global
/// executor.
///
/// ```swift
/// let server = WorkflowServer(configuration: .init(transport: .init(port: 0)), logger: logger)
/// let port = try await server.start()
/// try await server.stop()
/// ```
package final class WorkflowServer: Sendable {
    /// What to listen on and how much to retain.
    package struct Configuration: Sendable {
        /// The transport's settings (address, limits).
        package var transport: GRPCServerConfiguration
        /// How many events the log retains for replay (with a store, most of them in the store
        /// only: see ``history``).
        package var eventRetention: Int
        /// With a store, how many events and finished workflows' steps stay in memory.
        package var history: HistoryInMemory
        /// How many finished workflows are retained.
        package var workflowRetention: Int
        /// How long finished workflows are retained; `nil` for no time limit.
        package var workflowMaxAge: Duration?
        /// Where workflows and events are made durable; `nil` keeps them in memory only.
        package var store: (any EventStore)?
        /// The HTTP/1.1 side port (JSON API, server-sent events); `nil`: none.
        package var http: HTTPGateway.Configuration?
        /// The process's swift-metrics in Prometheus's text format (what the registry that
        /// `workflowd` bootstrapped emits), served at the side port's `/metrics`; `nil`: none,
        /// and the engine's events are not counted.
        package var metrics: (@Sendable () -> [UInt8])?
        /// How many event loops (threads) serve the connections (at least 1 is used); by default
        /// one per core this process may use (``AvailableCores``).
        package var eventLoops: Int
        /// Who callers are and what they may do; by default nobody authenticates and every
        /// caller may do everything.
        package var authenticator: CallerAuthenticator

        /// Creates a configuration.
        package init(
            transport: GRPCServerConfiguration = GRPCServerConfiguration(),
            eventRetention: Int = 1_000_000,
            workflowRetention: Int = 100_000,
            workflowMaxAge: Duration? = nil,
            store: (any EventStore)? = nil,
            history: HistoryInMemory = HistoryInMemory(),
            http: HTTPGateway.Configuration? = nil,
            metrics: (@Sendable () -> [UInt8])? = nil,
            eventLoops: Int? = nil,
            authenticator: CallerAuthenticator = .off
        ) {
            self.transport = transport
            self.eventRetention = eventRetention
            self.history = history
            self.workflowRetention = workflowRetention
            self.workflowMaxAge = workflowMaxAge
            self.store = store
            self.http = http
            self.metrics = metrics
            self.eventLoops = eventLoops ?? AvailableCores.count
            self.authenticator = authenticator
        }
    }

    /// The engine behind the service.
    package let engine: WorkflowEngine
    /// `grpc.health.v1.Health`: SERVING until ``stop(gracePeriod:)`` begins.
    package let health: HealthService
    private let group: MultiThreadedEventLoopGroup
    private let server: GRPCServer
    /// The HTTP side port, when configured.
    package let gateway: HTTPGateway?
    /// Counts what the engine does, when metrics are collected.
    private let engineMetrics: EngineMetrics?
    /// The registry and files the service serves.
    package let environment: TemplateEnvironment
    /// Deletes expired uploads every ``uploadSweepInterval`` while the server runs.
    private let uploadSweeper = Mutex<Task<Void, Never>?>(nil)
    /// How often expired uploads are deleted.
    static let uploadSweepInterval = Duration.seconds(600)

    /// Creates the engine and the server; nothing listens yet.
    ///
    /// - Parameters:
    ///   - configuration: What to listen on and how much to retain.
    ///   - environment: The asset registry and files the product templates work on, which the
    ///     service's asset and file methods serve.
    ///   - templates: The workflow types; by default the built-in `TEST` and the product
    ///     templates over `environment`.
    ///   - logger: Where the server logs.
    package init(
        configuration: Configuration,
        environment: TemplateEnvironment,
        templates: TemplateRegistry? = nil,
        logger: Logger
    ) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoops))
        // Where the engine's metrics follow its log and the side port calls the handlers.
        let loop = group.next()
        let engine = WorkflowEngine(
            templates: templates ?? ProductTemplates.standardRegistry(environment: environment),
            eventRetention: configuration.eventRetention,
            workflowRetention: configuration.workflowRetention,
            workflowMaxAge: configuration.workflowMaxAge,
            executor: LockedEngineExecutor(loops: group),
            store: configuration.store,
            artifactStorage: environment.files.artifacts,
            history: configuration.history,
            logger: logger
        )
        var router = RPCRouter()
        let access = AccessGuard(authenticator: configuration.authenticator)
        WorkflowRPCService(engine: engine, access: access).register(in: &router)
        FileRPCService(engine: engine, files: environment.files, access: access, logger: logger).register(in: &router)
        AssetRPCService(assets: environment.assets, engine: engine, access: access).register(in: &router)
        WorkerRPCService(engine: engine, access: access).register(in: &router)
        let health = HealthService()
        health.setStatus(.serving, forService: WorkflowV1.WorkflowService.name)
        health.setStatus(.serving, forService: WorkflowV1.WorkerService.name)
        health.register(in: &router)
        Self.registerReflection(in: &router, logger: logger)
        self.health = health
        self.environment = environment
        self.group = group
        self.engine = engine
        self.server = GRPCServer(router: router, configuration: configuration.transport, group: group, logger: logger)
        let engineMetrics = configuration.metrics.map { _ in EngineMetrics(log: engine.events, loop: loop) }
        self.engineMetrics = engineMetrics
        let probes = HTTPGateway.Probes(
            isServing: { [health] in health.status(forService: "") == .serving },
            metrics: configuration.metrics.map { emit in
                let workerGauges = WorkerGauges()
                return { @Sendable in
                    workerGauges.record(await engine.workers())
                    return emit()
                }
            }
        )
        self.gateway = configuration.http.map {
            HTTPGateway(router: router, loop: loop, group: group, configuration: $0, probes: probes, logger: logger)
        }
    }

    /// Adds server reflection over the embedded descriptors of every service in `router`.
    private static func registerReflection(in router: inout RPCRouter, logger: Logger) {
        let descriptorSet = Data(base64Encoded: ServiceDescriptors.fileDescriptorSetBase64, options: .ignoreUnknownCharacters)
        do {
            let reflection = try ReflectionService(fileDescriptorSet: descriptorSet.map { [UInt8]($0) } ?? [], serviceNames: router.serviceNames)
            reflection.register(in: &router)
        } catch {
            // Only a broken generated file gets here; the service runs without reflection.
            logger.error("server.reflection_unavailable", metadata: ["server.error": "\(error)"])
        }
    }

    /// Restores the engine from its store (if any and not done yet), then starts listening:
    /// gRPC, then the HTTP side port if configured (``httpPort``).
    /// - Returns: the bound gRPC port.
    /// - Throws: What the store threw when its data cannot be read (nothing listens then), or
    ///   what binding threw.
    package func start() async throws -> Int {
        try await engine.restore()
        if engine.store != nil {
            // Restoring (here or by the caller before) decoded every stored tree and kept only
            // summaries of the old ones.
            MemoryReclaimer.giveFreeMemoryBack()
        }
        let files = environment.files
        let kept = await engine.retainedArtifacts()
        files.artifacts.sweep(keeping: kept)
        files.uploads.sweep()
        uploadSweeper.withLock { sweeper in
            sweeper = sweeper ?? Task.detached(priority: .background) {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.uploadSweepInterval)
                    files.uploads.sweep()
                }
            }
        }
        engineMetrics?.start()
        let port = try await server.start()
        if let gateway {
            let httpPort = try await gateway.start()
            boundHTTPPort.withLock { $0 = httpPort }
        }
        return port
    }

    private let boundHTTPPort = Mutex<Int?>(nil)

    /// The bound port of the HTTP side port, once started.
    package var httpPort: Int? {
        boundHTTPPort.withLock { $0 }
    }

    /// Calls finished so far, by status code.
    package var callStatistics: [RPCStatus.Code: Int] {
        server.statistics.snapshot
    }

    /// Connections closed so far because the peer broke a protocol limit, by reason.
    package var protocolViolations: [String: Int] {
        server.statistics.protocolViolations
    }

    /// Shuts down gracefully, for a restart or a deploy: health turns NOT_SERVING, the server
    /// stops accepting connections and sends each open one GOAWAY (a shutdown notice, then the
    /// last stream processed), and the engine starts no more workflows, jobs or attempts. Running
    /// jobs get `gracePeriod` to finish; those still running then are recorded as interrupted
    /// (their watchers receive JOB_INTERRUPTED) and their workflows stay RUNNING, to resume when
    /// a server next starts on the same store. Then the remaining watches end with UNAVAILABLE
    /// once they sent what they have, unary calls finish, and what is still open after the rest
    /// of `gracePeriod` (at least a second) is closed; then the event loops stop.
    /// - Parameter gracePeriod: How long running jobs and calls in flight get to end.
    package func stop(gracePeriod: Duration = .seconds(10)) async throws {
        let started = ContinuousClock.now
        await engine.beginShutdown()
        health.enterShutdown()
        await server.beginShutdown()
        await gateway?.beginShutdown()
        await engine.shutdown(gracePeriod: gracePeriod)
        // The interruptions become durable, and so visible to watchers.
        engine.store?.flush()
        let remaining = max(gracePeriod - started.duration(to: .now), .seconds(1))
        async let grpcFinished: Void = server.finishShutdown(gracePeriod: remaining)
        async let httpFinished: Void? = gateway?.finishShutdown(gracePeriod: remaining)
        _ = await (grpcFinished, httpFinished)
        // What calls answered while draining queued (a cancel request) is committed too.
        engine.store?.flush()
        engineMetrics?.stop()
        uploadSweeper.withLock { $0?.cancel() }
        try await group.shutdownGracefully()
    }
}
