import Foundation
import WorkflowEngine

/// Workflow types declared in a configuration file, loaded at start, so operators add a type
/// without recompiling.
///
/// The file is UTF-8 text in the ``DeclarationLine`` grammar: a `[TYPE]` header per workflow
/// type, then one line per job, in order: `Job Name = function key=value …`, or, for a job a
/// worker of another service runs, `Job Name = remote queue=NAME …` (see ``RemoteArguments``). The function is a
/// ``BuiltInJobFunction`` of the catalog (`import.fetch`, `rules.load`, `wait`, …); the
/// arguments are parameters that job and the jobs after it get when the start request does not
/// give them (a later job's configuration wins over an earlier one's).
///
/// The keys of ``PolicyArguments`` are not parameters: on a job line they set that job's retry
/// policy and timeout (`retries`, `backoff`, `backoff_multiplier`, `max_backoff`, `jitter`,
/// `no_retry`, `timeout`); on a `[TYPE]` header, which takes no other key, they set the
/// defaults of the type's jobs, and `deadline` the workflow's deadline. A job's key wins over
/// its header's, the header's over the product default (``ProductTemplates/retryPolicy``,
/// ``ProductTemplates/jobTimeout``, no deadline).
///
/// ```
/// # Import a file, then check it against the plant rules.
/// [IMPORT_AND_CHECK] retries=2 backoff=500ms timeout=10m deadline=1h
/// Fetch External Assets = import.fetch retries=4 timeout=30s
/// Process Data          = import.process
/// Validate              = import.validate
/// Save to Database      = import.save
/// Load Rules            = rules.load rules_path=Samples/rules.conf
/// Execute Rules         = rules.execute
/// Apply Results         = rules.apply
/// ```
///
/// Refused, with the line and the reason: a grammar error, a job before any header, a type
/// name that is not `UPPER_SNAKE_CASE`, a type declared twice or already built in, a type with
/// no jobs, an unknown function, configured parameters the function rejects, an unknown key on
/// a header, `deadline` on a job line, and a bad retry, timeout or deadline value (a duration
/// without a unit, an unknown unit, a number out of range).
package struct TemplateConfiguration: Sendable {
    /// The declared types, in file order.
    package var declarations: [TemplateDeclaration]
    /// The functions the declarations were checked against.
    package var catalog: JobCatalog

    /// Reads and checks the configuration file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - reservedTypes: Types already registered, which the file may not redeclare.
    ///   - catalog: The functions jobs may name.
    /// - Throws: ``DeclarationError`` with the line and reason.
    package static func load(
        path: String,
        reservedTypes: Set<String> = [],
        catalog: JobCatalog = .builtIn
    ) throws(DeclarationError) -> TemplateConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DeclarationError(file: path, line: 0, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path, reservedTypes: reservedTypes, catalog: catalog)
    }

    /// Checks the configuration `text`; `file` names it in errors.
    ///
    /// - Throws: ``DeclarationError`` with the line and reason.
    package static func parse(
        _ text: String,
        file: String,
        reservedTypes: Set<String> = [],
        catalog: JobCatalog = .builtIn
    ) throws(DeclarationError) -> TemplateConfiguration {
        var declarations: [TemplateDeclaration] = []
        // The retry policy and timeout the current type's jobs get unless they say otherwise.
        var headerPolicy = ProductTemplates.retryPolicy
        var headerTimeout = ProductTemplates.jobTimeout
        func fail(_ line: Int, _ reason: String) -> DeclarationError {
            DeclarationError(file: file, line: line, reason: reason)
        }
        func checkHasJobs(_ declaration: TemplateDeclaration?) throws(DeclarationError) {
            if let declaration, declaration.jobs.isEmpty {
                throw fail(declaration.line, "type \(declaration.type) declares no jobs")
            }
        }
        for line in try DeclarationLine.parse(text, file: file, allowingSectionArguments: true) {
            switch line.content {
            case .section(let type, var arguments):
                try checkHasJobs(declarations.last)
                guard type.wholeMatch(of: /[A-Z][A-Z0-9_]*/) != nil else {
                    throw fail(line.line, "type \"\(type)\" must be UPPER_SNAKE_CASE, e.g. IMPORT_AND_CHECK")
                }
                guard !reservedTypes.contains(type) else {
                    throw fail(line.line, "type \(type) is built in and cannot be redeclared")
                }
                if let earlier = declarations.first(where: { $0.type == type }) {
                    throw fail(line.line, "type \(type) is already declared on line \(earlier.line)")
                }
                let header: PolicyArguments
                do throws(DeclarationLineError) {
                    header = try PolicyArguments(taking: &arguments, allowingDeadline: true)
                    headerPolicy = try header.applied(to: ProductTemplates.retryPolicy)
                } catch {
                    throw fail(line.line, "type \(type): \(error.reason)")
                }
                if let key = arguments.keys.sorted().first {
                    throw fail(
                        line.line,
                        "type \(type): unknown key \"\(key)\"; a [TYPE] header takes \(PolicyArguments.headerKeys.joined(separator: ", "))"
                    )
                }
                headerTimeout = header.timeout ?? ProductTemplates.jobTimeout
                declarations.append(
                    TemplateDeclaration(type: type, jobs: [], deadline: header.deadline ?? ProductTemplates.deadline, line: line.line)
                )
            case .entry(let name, let functionName, var arguments):
                guard !declarations.isEmpty else {
                    throw fail(line.line, "job \"\(name)\" comes before any [TYPE] header")
                }
                if functionName == JobDeclaration.remoteFunction {
                    declarations[declarations.count - 1].jobs.append(
                        try remoteJob(named: name, arguments: arguments, headerPolicy: headerPolicy, headerTimeout: headerTimeout, line: line.line, file: file)
                    )
                    continue
                }
                guard let function = catalog.function(named: functionName) else {
                    throw fail(
                        line.line,
                        "unknown job function \"\(functionName)\"; known: \(catalog.names.joined(separator: ", "))"
                    )
                }
                let policy: PolicyArguments
                let retryPolicy: RetryPolicy
                do throws(DeclarationLineError) {
                    policy = try PolicyArguments(taking: &arguments, allowingDeadline: false)
                    retryPolicy = try policy.applied(to: headerPolicy)
                } catch {
                    throw fail(line.line, "job \"\(name)\": \(error.reason)")
                }
                do throws(EngineError) {
                    try checkConfiguredParameters(arguments, of: function)
                } catch {
                    throw fail(line.line, "job \"\(name)\": \(error.message)")
                }
                declarations[declarations.count - 1].jobs.append(JobDeclaration(
                    name: name,
                    function: functionName,
                    params: arguments,
                    retryPolicy: retryPolicy,
                    timeout: policy.timeout ?? headerTimeout,
                    line: line.line
                ))
            }
        }
        try checkHasJobs(declarations.last)
        return TemplateConfiguration(declarations: declarations, catalog: catalog)
    }

    /// A remote job's line: `queue` and the lease timeouts, then the retry and timeout keys;
    /// nothing else (a worker gets the start request's parameters).
    private static func remoteJob(
        named name: String,
        arguments: [String: String],
        headerPolicy: RetryPolicy,
        headerTimeout: Duration?,
        line: Int,
        file: String
    ) throws(DeclarationError) -> JobDeclaration {
        var arguments = arguments
        do throws(DeclarationLineError) {
            let remote = try RemoteArguments.take(from: &arguments)
            let policy = try PolicyArguments(taking: &arguments, allowingDeadline: false)
            let retryPolicy = try policy.applied(to: headerPolicy)
            if let key = arguments.keys.sorted().first {
                throw DeclarationLineError(
                    reason: "unknown key \"\(key)\"; a remote job takes \((RemoteArguments.keys + PolicyArguments.jobKeys).joined(separator: ", "))"
                )
            }
            return JobDeclaration(
                name: name, function: JobDeclaration.remoteFunction, remote: remote,
                retryPolicy: retryPolicy, timeout: policy.timeout ?? headerTimeout, line: line
            )
        } catch {
            throw DeclarationError(file: file, line: line, reason: "job \"\(name)\": \(error.reason)")
        }
    }

    /// Runs `function`'s check on the configured parameters, ignoring only the complaint that a
    /// required parameter is missing (the start request may give it).
    private static func checkConfiguredParameters(
        _ arguments: [String: String],
        of function: BuiltInJobFunction
    ) throws(EngineError) {
        do {
            try function.validate(arguments)
        } catch where error.message.hasSuffix(": is required") || error.message.contains(": is required (") {
            guard let field = error.field, arguments[String(field.dropFirst("params.".count))] == nil else {
                throw error
            }
        }
    }
}
