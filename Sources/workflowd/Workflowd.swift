import AccessControl
import ArgumentParser
import Dispatch
import Foundation
import HTTP2Transport
import HTTPGateway
import CoreMetrics
import Logging
import NIOCore
import Prometheus
import TransportTLS
import WorkflowEngine
import WorkflowService
import WorkflowStore
import WorkflowFiles
import WorkflowTemplates

/// `workflowd`: the WorkflowEngine gRPC server.
@main
struct Workflowd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflowd",
        abstract: "Runs workflows and serves workflow.v1.WorkflowService over gRPC, and as JSON over HTTP."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (logged as server.port).")
    var port = 50051

    @Option(help: "Port of the HTTP/1.1 side port (JSON API, server-sent events) on the same --host; 0 picks a free one (logged as server.http_port); off: none.")
    var httpPort = "8080"

    @Option(help: "Seconds an idle server-sent event stream waits before sending a keep-alive comment (for proxies that close quiet connections).")
    var httpHeartbeat = 15.0

    @Option(help: "How many log events to retain for replay (with the sqlite store, the newest --events-in-memory of them in memory too).")
    var eventRetention = 1_000_000

    @Option(help: "With the sqlite store: how many of the newest events to keep in memory as well (older ones are read from the store); at least 4096.")
    var eventsInMemory = 100_000

    @Option(help: "With the sqlite store: how many of the most recently finished workflows keep their tree and steps in memory (older ones keep a summary and read the rest from the store).")
    var finishedWorkflowsInMemory = 1_000

    @Option(help: "How many finished workflows to retain (running ones are always kept).")
    var workflowRetention = 100_000

    @Option(help: "Hours a finished workflow is retained (checked as workflows finish and at start); 0: no time limit.")
    var workflowRetentionHours = 0.0

    @Option(help: "Where workflows and events live: sqlite (durable, in --data-dir) or memory (lost on exit).")
    var store: StoreKind = .sqlite

    @Option(help: "The data directory of the sqlite store (created if missing).")
    var dataDir = "workflow-data"

    @Flag(help: "fsync every commit of the sqlite store: survives power loss too, not only a crash of workflowd.")
    var fsync = false

    @Option(help: "Largest file UploadFile accepts, in bytes.")
    var maxUploadSize: Int64 = 1 << 30

    @Option(help: "Hours an uploaded file is kept (then deleted, with or without workflows that name it).")
    var uploadRetentionHours = 168.0

    @Option(help: "Largest request message accepted, in bytes.")
    var maxReceiveMessageSize = 4 << 20

    @Option(help: "Streams a client may open at once on one connection (advertised in SETTINGS).")
    var maxConcurrentStreams = 1024

    @Option(help: "Largest request header list accepted, in bytes (advertised in SETTINGS); larger ones are reset.")
    var maxHeaderListSize = 16 << 10

    @Option(help: "Event loops (threads) serving the connections. Default: one per core this process may use.")
    var eventLoops: Int?

    @Option(help: "Connections open at once; more are closed when accepted.")
    var maxConnections = 10_000

    @Option(help: "Request and response bytes all connections together may buffer; a call whose request does not fit ends with RESOURCE_EXHAUSTED. Default: a sixteenth of the machine's memory, from 64 MiB to 2 GiB.")
    var maxBufferedBytes: Int?

    @Option(help: "Seconds a connection may stay without open streams before it is closed; 0: never.")
    var idleTimeout = 300.0

    @Option(help: "Seconds without input after which the server PINGs the client; 0: never.")
    var keepaliveInterval = 7200.0

    @Option(help: "Seconds a keepalive PING may go unanswered before the connection is closed.")
    var keepaliveTimeout = 20.0

    @Option(help: "Seconds that running jobs and calls in flight get to end after SIGTERM/SIGINT; jobs still running then resume at the next start on the same --data-dir. A second signal exits at once.")
    var shutdownGracePeriod = 10.0

    @Option(help: "A templates configuration file declaring more workflow types (README: \"Templates as data\"); a bad one stops the server at start with the line and reason.")
    var templates: String?

    @Option(help: "The server's TLS certificate chain (PEM, leaf first): both ports then speak TLS 1.2 or later only (gRPC with ALPN h2). Needs --tls-key; reread on SIGHUP.")
    var tlsCert: String?

    @Option(help: "The private key of --tls-cert (PEM); reread on SIGHUP.")
    var tlsKey: String?

    @Option(help: "Certificate authorities (PEM) that must have signed a client's certificate (mutual TLS): clients without one fail the handshake. Needs --tls-cert; reread on SIGHUP.")
    var tlsClientCa: String?

    @Option(help: "Seconds a new connection may take to finish its TLS handshake before it is closed.")
    var tlsHandshakeTimeout = 10.0

    @Flag(help: "Serve plaintext on a --host that is not loopback (anyone who can reach the port can read and change every workflow).")
    var insecure = false

    @Option(help: "How callers authenticate: off (anyone may do anything; the default only on a loopback --host), tokens (--auth-tokens), jwt (--jwt-secret-file and/or --jwt-public-keys). The files are reread on SIGHUP.")
    var auth: AuthScheme?

    @Option(help: "With --auth tokens: lines of `<sha256 of the token, hex> <subject> <role,...>` (roles: admin, operator, user, viewer, worker:<queue>).")
    var authTokens: String?

    @Option(help: "With --auth jwt: a file holding the HS256 secret (at least 32 bytes).")
    var jwtSecretFile: String?

    @Option(help: "With --auth jwt: a PEM file of public keys or certificates (P-256 for ES256, RSA for RS256).")
    var jwtPublicKeys: String?

    @Option(help: "With --auth jwt: the audience (aud) a token must name.")
    var jwtAudience = "workflowd"

    @Option(help: "With mutual TLS and --auth tokens or jwt: lines of `<certificate identity> <role,...>` for callers that present a client certificate and no token (identity: the subject's common name, else the whole subject).")
    var certificateRoles: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard httpHeartbeat > 0 else { throw ValidationError("--http-heartbeat must be positive") }
        guard httpPort == "off" || Int(httpPort).map({ (0...65535).contains($0) }) == true else {
            throw ValidationError("--http-port must be from 0 to 65535, or off")
        }
        guard eventRetention > 0 else { throw ValidationError("--event-retention must be positive") }
        guard workflowRetention > 0 else { throw ValidationError("--workflow-retention must be positive") }
        guard eventsInMemory >= 4_096 else { throw ValidationError("--events-in-memory must be at least 4096") }
        guard finishedWorkflowsInMemory >= 0 else { throw ValidationError("--finished-workflows-in-memory must not be negative") }
        guard workflowRetentionHours >= 0 else { throw ValidationError("--workflow-retention-hours must not be negative") }
        guard shutdownGracePeriod >= 0 else { throw ValidationError("--shutdown-grace-period must not be negative") }
        guard maxReceiveMessageSize > 0 else { throw ValidationError("--max-receive-message-size must be positive") }
        guard maxConcurrentStreams > 0, maxConcurrentStreams <= Int(Int32.max) else {
            throw ValidationError("--max-concurrent-streams must be from 1 to 2147483647")
        }
        guard maxHeaderListSize >= 1024, maxHeaderListSize <= Int(Int32.max) else {
            throw ValidationError("--max-header-list-size must be from 1024 to 2147483647")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        if let eventLoops, !(1...1024).contains(eventLoops) {
            throw ValidationError("--event-loops must be from 1 to 1024")
        }
        guard maxUploadSize > 0 else { throw ValidationError("--max-upload-size must be positive") }
        guard uploadRetentionHours > 0, uploadRetentionHours <= 876_000 else {
            throw ValidationError("--upload-retention-hours must be from more than 0 to 876000 (100 years)")
        }
        if let maxBufferedBytes, maxBufferedBytes < 1 << 20 {
            throw ValidationError("--max-buffered-bytes must be at least 1048576 (1 MiB)")
        }
        guard idleTimeout >= 0, keepaliveInterval >= 0 else { throw ValidationError("timeouts must not be negative") }
        guard keepaliveTimeout > 0 else { throw ValidationError("--keepalive-timeout must be positive") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard tlsHandshakeTimeout > 0 else { throw ValidationError("--tls-handshake-timeout must be positive") }
        if tlsClientCa != nil, tlsCert == nil {
            throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)")
        }
        if tlsCert == nil, !insecure, !LoopbackHost.contains(host) {
            throw ValidationError(
                "--host \(host) is reachable beyond this machine: serve it with --tls-cert and --tls-key, or pass --insecure to serve plaintext"
            )
        }
        if auth == nil, !LoopbackHost.contains(host) {
            throw ValidationError(
                "--host \(host) is reachable beyond this machine: choose how callers authenticate with --auth tokens or --auth jwt (or --auth off to let anyone do anything)"
            )
        }
        switch auth ?? .off {
        case .off:
            guard authTokens == nil, jwtSecretFile == nil, jwtPublicKeys == nil, certificateRoles == nil else {
                throw ValidationError("--auth-tokens, --jwt-secret-file, --jwt-public-keys and --certificate-roles need --auth tokens or --auth jwt")
            }
        case .tokens:
            guard authTokens != nil else { throw ValidationError("--auth tokens needs --auth-tokens FILE") }
            guard jwtSecretFile == nil, jwtPublicKeys == nil else { throw ValidationError("--jwt-secret-file and --jwt-public-keys need --auth jwt") }
        case .jwt:
            guard jwtSecretFile != nil || jwtPublicKeys != nil else {
                throw ValidationError("--auth jwt needs --jwt-secret-file FILE or --jwt-public-keys FILE")
            }
            guard authTokens == nil else { throw ValidationError("--auth-tokens needs --auth tokens") }
            guard !jwtAudience.isEmpty else { throw ValidationError("--jwt-audience must not be empty") }
        }
        if certificateRoles != nil, tlsClientCa == nil {
            throw ValidationError("--certificate-roles needs mutual TLS (--tls-client-ca)")
        }
    }

    /// How the flags say callers authenticate.
    var authenticationScheme: CallerAuthenticator.Scheme {
        switch auth ?? .off {
        case .off: .off
        case .tokens: .tokens(path: authTokens ?? "")
        case .jwt: .jwt(JWTSettings(secretFile: jwtSecretFile, publicKeysFile: jwtPublicKeys, audience: jwtAudience))
        }
    }

    /// Logs the allocator and what it was set to give back, and warns when large blocks would
    /// stay resident once freed (an operator's `MALLOC_CONF` that raised or turned off
    /// jemalloc's threshold, or an allocator preloaded ahead of jemalloc).
    private static func logAllocator(largeBlockBytes: Int?, logger: Logger) {
        // Also checks that the allocator's controls work; there is little to give back yet.
        let purged = MemoryReclaimer.giveFreeMemoryBackNow()
        let jemalloc = MemoryReclaimer.allocator == .jemalloc
        let largeBlocks = largeBlockBytes.map(String.init) ?? "unknown"
        logger.info("server.allocator", metadata: [
            "server.allocator": "\(MemoryReclaimer.allocator.rawValue)",
            "server.allocator_large_block_bytes": "\(largeBlocks)",
            "server.allocator_purge": "\(purged ? "ok" : (jemalloc ? "failed" : "nothing_free"))",
        ])
        if !MemoryReclaimer.returnsLargeBlocks(threshold: largeBlockBytes) {
            logger.warning("server.allocator_keeps_large_blocks", metadata: [
                "server.allocator_large_block_bytes": "\(largeBlocks)",
                "server.hint": "freed blocks of \(MemoryReclaimer.largeBlockSize) bytes and more may stay resident: peers that buffer large messages can leave RSS behind",
            ])
        }
    }

    /// The TLS files the flags name, if any.
    var tlsFiles: TLSFiles? {
        guard let tlsCert, let tlsKey else { return nil }
        return TLSFiles(certificateChain: tlsCert, privateKey: tlsKey, clientCertificateAuthorities: tlsClientCa)
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "workflowd")
        // Before anything makes a metric: one made earlier would stay unrecorded.
        let metrics = Int(httpPort) == nil ? nil : Self.bootstrapMetrics()
        // A client that disconnects mid-write must not kill the server.
        signal(SIGPIPE, SIG_IGN)
        Self.logAllocator(largeBlockBytes: MemoryReclaimer.returnLargeBlocksAtOnce(), logger: logger)
        var tls: ServerTLSContext?
        if let tlsFiles {
            do {
                tls = try ServerTLSContext(files: tlsFiles, handshakeTimeout: seconds(tlsHandshakeTimeout))
            } catch {
                FileHandle.standardError.write(Data("workflowd: \(error)\n".utf8))
                throw ExitCode(78)  // EX_CONFIG
            }
        } else if !LoopbackHost.contains(host) {
            logger.warning("server.plaintext_beyond_loopback", metadata: [
                "server.host": "\(host)", "server.hint": "anyone who reaches the port can read and change every workflow: use --tls-cert and --tls-key",
            ])
        }
        let authenticator: CallerAuthenticator
        do {
            authenticator = try await CallerAuthenticator.load(authenticationScheme, certificateRolesPath: certificateRoles)
        } catch {
            FileHandle.standardError.write(Data("workflowd: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        if !authenticator.isEnabled, !LoopbackHost.contains(host) {
            logger.warning("server.unauthenticated_beyond_loopback", metadata: [
                "server.host": "\(host)", "server.hint": "--auth off: anyone who reaches the port may do anything; use --auth tokens or --auth jwt",
            ])
        }
        logger.info("server.auth", metadata: ["server.auth": "\((auth ?? .off).rawValue)"])
        var transport = GRPCServerConfiguration(
            host: host,
            port: port,
            maxReceiveMessageSize: maxReceiveMessageSize,
            maxConnections: maxConnections,
            idleTimeout: idleTimeout > 0 ? seconds(idleTimeout) : nil,
            keepaliveInterval: keepaliveInterval > 0 ? seconds(keepaliveInterval) : nil,
            keepaliveTimeout: seconds(keepaliveTimeout)
        )
        transport.maxConcurrentStreams = UInt32(maxConcurrentStreams)
        transport.maxHeaderListSize = UInt32(maxHeaderListSize)
        if let maxBufferedBytes { transport.maxBufferedBytes = maxBufferedBytes }
        transport.tls = tls
        logger.info("server.buffer_budget", metadata: ["server.max_buffered_bytes": "\(transport.maxBufferedBytes)"])
        var eventStore: (any EventStore)?
        if store == .sqlite {
            do {
                let sqlite = try SQLiteEventStore(
                    configuration: .init(directory: dataDir, eventRetention: eventRetention, fsyncEachCommit: fsync),
                    logger: logger
                )
                logger.info("server.store", metadata: ["store.path": "\(sqlite.path)"])
                eventStore = sqlite
            } catch {
                FileHandle.standardError.write(Data("workflowd: \(error)\n".utf8))
                throw ExitCode(74)  // EX_IOERR
            }
        }
        let environment: TemplateEnvironment
        do {
            environment = try openEnvironment(store: eventStore)
        } catch {
            FileHandle.standardError.write(Data("workflowd: \(error)\n".utf8))
            throw ExitCode(74)  // EX_IOERR
        }
        logger.info(
            "server.files",
            metadata: ["files.path": "\(environment.files.directory)", "assets.count": "\(environment.assets.count)"]
        )
        let templateRegistry: TemplateRegistry
        do {
            templateRegistry = try ProductTemplates.registry(environment: environment, configurationFile: templates)
        } catch {
            FileHandle.standardError.write(Data("workflowd: bad --templates file: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        logger.info("server.templates", metadata: ["server.workflow_types": "\(templateRegistry.types.joined(separator: ","))"])
        let server = WorkflowServer(
            configuration: .init(
                transport: transport, eventRetention: eventRetention, workflowRetention: workflowRetention,
                workflowMaxAge: workflowRetentionHours > 0 ? seconds(workflowRetentionHours * 3600) : nil, store: eventStore,
                history: HistoryInMemory(events: eventsInMemory, finishedWorkflowsWithSteps: finishedWorkflowsInMemory),
                http: try Int(httpPort).map {
                    var http = HTTPGateway.Configuration(host: host, port: $0, heartbeatInterval: seconds(httpHeartbeat), console: try Self.consoleFiles())
                    http.tls = tls
                    http.requiresLoopbackHost = !authenticator.isEnabled && LoopbackHost.contains(host)
                    return http
                },
                metrics: metrics.map(Self.emitter),
                eventLoops: eventLoops,
                authenticator: authenticator
            ),
            environment: environment,
            templates: templateRegistry,
            logger: logger
        )
        // Catch signals before the port is announced: a signal right after it must not kill.
        let termination = TerminationSignals()
        let reloads = CredentialReloads(tls: tls, authenticator: authenticator, logger: logger)
        do {
            try await server.engine.restore()
        } catch {
            FileHandle.standardError.write(Data("workflowd: \(error)\n".utf8))
            throw ExitCode(74)  // EX_IOERR
        }
        _ = try await server.start()
        let signals = termination.signals
        var iterator = signals.makeAsyncIterator()
        let signalName = await iterator.next() ?? "end of signals"
        logger.info("server.stopping", metadata: ["server.signal": "\(signalName)"])
        // A second signal while draining: exit at once.
        let impatience = Task {
            var iterator = signals.makeAsyncIterator()
            guard let second = await iterator.next() else { return }
            logger.warning("server.exiting_now", metadata: ["server.signal": "\(second)"])
            Foundation.exit(1)
        }
        try await server.stop(gracePeriod: seconds(shutdownGracePeriod))
        // The memory store's files live as long as its workflows: until now.
        environment.files.removeIfTemporary()
        impatience.cancel()
        withExtendedLifetime((termination, reloads)) {}
        let counts = server.callStatistics
            .sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
        let violations = server.protocolViolations
            .sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: " ")
        logger.info("server.stopped", metadata: [
            "server.calls_by_status": "\(counts)", "server.protocol_limit_closes": "\(violations)",
        ])
    }

    /// The asset registry (restored from `store`'s records) and the files: under `--data-dir`
    /// with the sqlite store, in a temporary folder with the memory store.
    func openEnvironment(store: (any EventStore)?) throws -> TemplateEnvironment {
        let limits = UploadStore.Limits(maxBytes: maxUploadSize, retention: seconds(uploadRetentionHours * 3600))
        guard let store else {
            return TemplateEnvironment(assets: AssetRegistry(), files: try FileArea.temporary(uploadLimits: limits))
        }
        let assets = try AssetRegistry(store: store)
        return TemplateEnvironment(assets: assets, files: try FileArea(directory: dataDir + "/files", uploadLimits: limits))
    }
}

extension Workflowd {
    /// The console's files: built in, or read from the folder `WORKFLOWD_CONSOLE_DIR` names
    /// (a checkout's `Console/`), so an edit shows at the next reload without a rebuild.
    /// - Throws: A folder without an `index.html`: every page would be a 404.
    static func consoleFiles() throws -> ConsoleFiles {
        guard let folder = ProcessInfo.processInfo.environment["WORKFLOWD_CONSOLE_DIR"], !folder.isEmpty else {
            return .builtIn
        }
        guard FileManager.default.fileExists(atPath: folder + "/index.html") else {
            throw ValidationError("WORKFLOWD_CONSOLE_DIR: \(folder) has no index.html (it names the console's folder, Console/ of a checkout)")
        }
        return .directory(folder)
    }

    /// What `/metrics` serves: `registry` in Prometheus's text format.
    static func emitter(of registry: PrometheusCollectorRegistry) -> @Sendable () -> [UInt8] {
        { registry.emitToBuffer() }
    }

    /// Sends every swift-metrics record of the process to a Prometheus registry (served at
    /// `/metrics`), with histogram buckets that fit what each measures.
    static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["workflow_job_attempt_seconds"] = [
            .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300), .seconds(1800), .seconds(7200),
        ]
        factory.durationHistogramBuckets["grpc_server_handling_seconds"] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
            .milliseconds(500), .seconds(2), .seconds(10), .seconds(60),
        ]
        factory.durationHistogramBuckets["workflow_store_commit_seconds"] = [
            .microseconds(100), .microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        factory.valueHistogramBuckets["workflow_store_commit_events"] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// How callers authenticate (`--auth`).
enum AuthScheme: String, ExpressibleByArgument {
    /// Nobody authenticates; every caller may do everything.
    case off
    /// Static tokens listed by their SHA-256 in `--auth-tokens`.
    case tokens
    /// Signed JWTs.
    case jwt
}

/// The values of `--store`.
enum StoreKind: String, ExpressibleByArgument {
    /// SQLite in `--data-dir`: durable across restarts and crashes.
    case sqlite
    /// Memory only: a restart starts empty.
    case memory
}

/// A duration from a number of seconds given on the command line.
private func seconds(_ value: Double) -> Duration {
    .milliseconds(Int64(value * 1000))
}

/// SIGINT and SIGTERM as a sequence of names: the first asks for a graceful shutdown, a second
/// one for an immediate exit.
///
/// Keep the object alive for as long as signals should be caught: it owns the dispatch sources.
private final class TerminationSignals {
    private let sources: [any DispatchSourceSignal]
    /// The names of the signals caught, in order; consume it from one task at a time.
    let signals: AsyncStream<String>

    /// Replaces the default handlers of SIGINT and SIGTERM with this sequence.
    init() {
        let queue = DispatchQueue(label: "workflowd.signals")
        let (signals, continuation) = AsyncStream.makeStream(of: String.self)
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
        self.signals = signals
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

/// Rereads the TLS credentials and the callers' credentials (tokens, JWT keys, certificate
/// roles) on SIGHUP. New TLS credentials serve the connections accepted afterwards (open ones
/// keep theirs); new callers' credentials every call from then on (a removed token stops
/// working at once). Files that cannot be used are logged and the previous ones stay. With
/// nothing to reread a SIGHUP is logged and changes nothing (it never stops the server).
///
/// Keep the object alive for as long as SIGHUP should reload: it owns the dispatch source.
private final class CredentialReloads {
    private let source: any DispatchSourceSignal

    init(tls: ServerTLSContext?, authenticator: CallerAuthenticator, logger: Logger) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "workflowd.reload"))
        source.setEventHandler {
            guard tls != nil || authenticator.isEnabled else {
                logger.info("server.reload_skipped", metadata: ["server.reason": "no TLS or caller credentials to reread"])
                return
            }
            if let tls {
                do {
                    try tls.reload()
                    logger.info("server.tls_reloaded", metadata: ["tls.certificate": "\(tls.files.certificateChain)"])
                } catch {
                    logger.error("server.tls_reload_failed", metadata: ["tls.error": "\(error)"])
                }
            }
            if authenticator.isEnabled {
                let reloaded = DispatchSemaphore(value: 0)
                Task {
                    do {
                        try await authenticator.reload()
                        logger.info("server.auth_reloaded")
                    } catch {
                        logger.error("server.auth_reload_failed", metadata: ["auth.error": "\(error)"])
                    }
                    reloaded.signal()
                }
                // One reload at a time: the next SIGHUP waits for this one.
                reloaded.wait()
            }
        }
        source.resume()
    }

    deinit {
        source.cancel()
    }
}
