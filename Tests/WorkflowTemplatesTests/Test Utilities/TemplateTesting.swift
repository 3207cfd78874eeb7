import Foundation
import Logging
import Testing
import WorkflowEngine
import WorkflowModel
import WorkflowTemplates

/// Runs product workflows on a real engine for the tests.
struct TemplateTesting {
    /// The package root, three levels above this file's folder.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The path of a file in `Samples/`.
    static func sample(_ name: String) -> String {
        packageRoot.appendingPathComponent("Samples/\(name)").path
    }

    /// A logger that discards everything.
    static let logger = Logger(label: "templates-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    let environment: TemplateEnvironment
    let engine: WorkflowEngine

    /// An engine with the built-in and product templates (and `configuration`'s types, and
    /// `templates`) over `environment`.
    init(
        configuration: String? = nil,
        environment: TemplateEnvironment? = nil,
        templates extraTemplates: [WorkflowTemplate] = [],
        store: (any EventStore)? = nil
    ) throws {
        let environment = try environment ?? TemplateEnvironment.temporary()
        self.environment = environment
        var templates = try ProductTemplates.registry(environment: environment)
        if let configuration {
            let parsed = try TemplateConfiguration.parse(configuration, file: "test.conf", reservedTypes: Set(templates.types))
            for declaration in parsed.declarations {
                templates.register(declaration.makeTemplate(catalog: parsed.catalog, environment: environment))
            }
        }
        for template in extraTemplates {
            templates.register(template)
        }
        engine = WorkflowEngine(
            templates: templates,
            store: store,
            artifactStorage: environment.files.artifacts,
            logger: Self.logger
        )
    }

    /// Starts a workflow of `type` with `params` and waits until it finishes.
    func run(_ type: String, _ params: [String: String], timeout: Duration = .seconds(30)) async throws -> Workflow {
        let started = try await engine.start(WorkflowRequest(type: type, params: params)).value
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let workflow = try await engine.workflow(id: started.id)
            if workflow.status.isTerminal {
                return workflow
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(type) did not finish in time")
        return try await engine.workflow(id: started.id)
    }

    /// A new empty temporary directory.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("templates-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Runs `executable` (searched in PATH) with `arguments`.
    ///
    /// - Throws: An issue (failing the test) when `executable` is not installed;
    ///   `Scripts/install-deps.sh --tests` installs the tools the tests use (poppler-utils).
    static func runTool(
        _ executable: String,
        _ arguments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (status: Int32, output: String) {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":")
            .map { "\($0)/\(executable)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let found = try #require(
            path,
            "\(executable) is not on PATH: Scripts/install-deps.sh --tests installs it (poppler-utils)",
            sourceLocation: sourceLocation
        )
        let process = Process()
        process.executableURL = URL(fileURLWithPath: found)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The page count `pdfinfo` reads from the PDF at `path`.
    static func pdfPageCount(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let info = try runTool("pdfinfo", [path], sourceLocation: sourceLocation)
        #expect(info.status == 0, "\(info.output)", sourceLocation: sourceLocation)
        let line = try #require(info.output.split(separator: "\n").first { $0.hasPrefix("Pages:") }, sourceLocation: sourceLocation)
        return try #require(Int(line.dropFirst("Pages:".count).trimmingCharacters(in: .whitespaces)), sourceLocation: sourceLocation)
    }
}

extension TemplateTesting {
    /// `declaration`'s template under the type `type` that accepts any parameters, so its jobs
    /// run on parameters nobody checked.
    static func unchecked(_ declaration: TemplateDeclaration, as type: String, environment: TemplateEnvironment) -> WorkflowTemplate {
        let template = declaration.makeTemplate(catalog: .builtIn, environment: environment)
        return WorkflowTemplate(type: type, deadline: template.deadline, makeJobs: template.makeJobs)
    }

    /// Each asset of `registry` as a line of text without its registry id: tag, type, name,
    /// attributes, links and flags, sorted by tag.
    static func contents(of registry: AssetRegistry) -> [String] {
        registry.all().map { asset in
            let attributes = asset.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let flags = asset.flags.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            return "\(asset.tag) \(asset.type) \"\(asset.name)\" [\(attributes.joined(separator: ", "))] "
                + "→ \(asset.links.joined(separator: ",")) flags: \(flags.joined(separator: "; "))"
        }
    }
}

extension Workflow {
    /// Every step of every job, in order.
    var allSteps: [Step] { jobs.flatMap(\.steps) }

    /// The counter `name` of the workflow's stats (summed over jobs), 0 when absent.
    func counter(_ name: String) -> Int64 { stats.counters[name] ?? 0 }
}

extension TemplateTesting {
    /// Every event of workflow `id` logged so far, in order.
    func events(of id: String) -> [WorkflowModel.LogEvent] {
        var events: [WorkflowModel.LogEvent] = []
        var cursor: UInt64 = 0
        while case .events(let batch, let scannedThrough) = engine.events.read(
            after: cursor, matching: EventFilter(workflowID: id), limit: 10_000
        ), scannedThrough > cursor {
            events += batch
            cursor = scannedThrough
        }
        return events
    }

    /// The progress messages the job called `job` of workflow `id` reported, in order.
    func progressMessages(of id: String, job: String) -> [String] {
        events(of: id).filter { $0.kind == .progressUpdated && $0.job?.name == job }.map(\.progressMessage)
    }

    /// Polls workflow `id` until `condition` holds for it (at most `timeout`), then returns it.
    func waitUntil(
        _ id: String,
        timeout: Duration = .seconds(30),
        _ condition: (Workflow) -> Bool
    ) async throws -> Workflow {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let workflow = try await engine.workflow(id: id)
            if condition(workflow) {
                return workflow
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("\(id) never reached the awaited state")
        return try await engine.workflow(id: id)
    }

    /// Waits until workflow `id` is terminal again (after a retry, say) and returns it.
    func waitUntilTerminal(_ id: String, timeout: Duration = .seconds(30)) async throws -> Workflow {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let workflow = try await engine.workflow(id: id)
            if workflow.status.isTerminal {
                return workflow
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("\(id) did not finish in time")
        return try await engine.workflow(id: id)
    }
}
