import Foundation
import Logging
import NIOPosix
import WorkflowEngine
import WorkflowModel
import WorkflowService
import WorkflowStore

/// An engine set up as `workflowd` sets it up (on an event loop, with the chosen store), with
/// one extra template, and the means to wait for a workflow's end.
struct BenchmarkEngine {
    let engine: WorkflowEngine
    private let group: MultiThreadedEventLoopGroup
    private let dataDirectory: URL?

    init(template: WorkflowTemplate, store: BenchmarkStore) throws {
        var templates = TemplateRegistry.builtIn
        templates.register(template)
        let logger = Logger(label: "workflow-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        switch store {
        case .memory:
            dataDirectory = nil
            engine = WorkflowEngine(templates: templates, executor: LockedEngineExecutor(loops: group), logger: logger)
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-bench-\(UUID().uuidString)")
            dataDirectory = directory
            let eventStore = try SQLiteEventStore(configuration: .init(directory: directory.path), logger: logger)
            engine = WorkflowEngine(
                templates: templates,
                executor: LockedEngineExecutor(loops: group),
                store: eventStore,
                logger: logger
            )
        }
    }

    /// Restores the (empty) store; call before starting workflows.
    func prepare() async throws {
        try await engine.restore()
    }

    /// Waits until the workflow `id` has ended, reading the event log as a watcher would.
    ///
    /// - Parameters:
    ///   - cursor: The log's last sequence before the workflow started.
    ///   - skippingDropped: Whether events the log dropped before they were read (a reader
    ///     slower than the retention) are skipped instead of failing the benchmark.
    ///   - onEvent: Called with each of the workflow's events, when it is read.
    func waitForEnd(
        of id: String,
        after cursor: UInt64,
        skippingDropped: Bool = false,
        onEvent: (WorkflowModel.LogEvent) -> Void = { _ in }
    ) async throws {
        let log = engine.events
        let filter = EventFilter(workflowID: id)
        var cursor = cursor
        while true {
            switch log.read(after: cursor, matching: filter, limit: 1_024) {
            case .truncated(let oldestRetained):
                guard skippingDropped else {
                    throw BenchmarkFailure("the event log dropped events the benchmark needed")
                }
                cursor = oldestRetained - 1
                continue
            case .unavailable(let reason):
                throw BenchmarkFailure("the store could not be read: \(reason)")
            case .events(let events, let scanned):
                cursor = scanned
                for event in events {
                    onEvent(event)
                    if event.isTerminalWorkflowEvent { return }
                }
                if !events.isEmpty { continue }
            }
            await withCheckedContinuation { continuation in
                if log.notifyOnAppend(after: cursor, { continuation.resume() }) == nil {
                    continuation.resume()
                }
            }
        }
    }

    /// Stops the engine and the loop and removes the store's files.
    func shutdown() async throws {
        await engine.shutdown()
        try await group.shutdownGracefully()
        if let dataDirectory {
            try? FileManager.default.removeItem(at: dataDirectory)
        }
    }
}

/// A benchmark that could not measure what it should.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
